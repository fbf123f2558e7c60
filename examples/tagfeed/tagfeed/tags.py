"""Known tags: normalised when added, looked up for every word of every post."""


class TagSet:
    """The tags a feed knows, normalised (stripped, lower case)."""

    def __init__(self, tags=()):
        self._tags = []
        for tag in tags:
            self.add(tag)

    def add(self, tag):
        tag = tag.strip().lower()
        if tag not in self._tags:
            self._tags.append(tag)

    def has(self, tag):
        return tag.strip().lower() in self._tags
