"""Posts and their hashtags: which known tags each post carries, and how often each is used."""

import re

from tagfeed.tags import TagSet


def _hashtags(pattern, text):
    return re.findall(pattern, text)


def tagged_posts(posts, known):
    """For each post, the known tags among its hashtags, in the order they appear."""
    tags = TagSet(known)
    out = []
    for post in posts:
        out.append([word for word in _hashtags(r"#(\w+)", post) if tags.has(word)])
    return out


def tag_counts(tagged):
    """How many posts carry each tag."""
    counts = {}
    for found in tagged:
        for tag in set(found):
            counts[tag] = counts.get(tag, 0) + 1
    return counts
