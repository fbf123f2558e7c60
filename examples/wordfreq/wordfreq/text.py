"""Tokens, stop words, distinct words and counts."""

import re

STOPWORDS = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
]


def tokenize(text):
    """The lower-case words of ``text``."""
    return re.findall(r"[a-z0-9']+", text.lower())


def content_words(words):
    """``words`` without the stop words, in order."""
    return [w for w in words if w not in STOPWORDS]


def unique_words(words):
    """The distinct words, in the order they first appear."""
    seen = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return seen


def word_counts(words):
    """How often each word occurs."""
    counts = {}
    for w in words:
        if w in counts.keys():
            counts[w] += 1
        else:
            counts[w] = 1
    return counts


def top_words(words, n):
    """The ``n`` most frequent words with their counts; ties in alphabetical order."""
    counts = word_counts(words)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
