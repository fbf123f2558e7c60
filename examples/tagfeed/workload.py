"""A realistic run: a day of posts matched against the tags a feed knows."""

import random

from tagfeed.feed import tag_counts, tagged_posts


def posts(seed=5, count=2000, vocabulary=2400):
    rng = random.Random(seed)
    words = [f"topic{i:04d}" for i in range(vocabulary)]
    out = []
    for i in range(count):
        picked = rng.sample(words, 6)
        out.append(f"post {i}: " + " ".join(f"#{w}" if j % 3 else w for j, w in enumerate(picked)))
    return words, out


def main():
    words, texts = posts()
    known = [f" Topic{i:04d} " for i in range(0, len(words), 2)] * 2
    tagged = tagged_posts(texts, known)
    counts = tag_counts(tagged)
    print("posts:", len(tagged), "tagged:", sum(1 for t in tagged if t), "tags used:", len(counts))
    print("most used:", max(sorted(counts.items()), key=lambda kv: kv[1]))


if __name__ == "__main__":
    main()
