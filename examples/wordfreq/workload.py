"""A realistic run: statistics over a generated corpus of articles."""

import random

from wordfreq.text import content_words, tokenize, top_words, unique_words


def corpus(seed=7, articles=40, words_per_article=600, vocabulary=2500):
    rng = random.Random(seed)
    stems = ["data", "time", "model", "system", "user", "value", "report", "price", "market", "city"]
    vocab = [f"{rng.choice(stems)}{i}" for i in range(vocabulary)]
    vocab += ["the", "a", "of", "and", "to", "in", "is", "it", "that", "with"] * 40
    docs = []
    for _ in range(articles):
        words = [rng.choice(vocab) for _ in range(words_per_article)]
        docs.append(" ".join(w.capitalize() if rng.random() < 0.1 else w for w in words) + ".")
    return docs


def main():
    docs = corpus()
    words = []
    for doc in docs:
        words.extend(tokenize(doc))
    content = content_words(words)
    distinct = unique_words(content)
    print("words:", len(words))
    print("content words:", len(content))
    print("distinct:", len(distinct), distinct[:5])
    print("top:", top_words(content, 5))


if __name__ == "__main__":
    main()
