import unittest

from tagfeed.feed import tag_counts, tagged_posts
from tagfeed.tags import TagSet


class TagSetTests(unittest.TestCase):
    def test_tags_are_normalised(self):
        tags = TagSet([" Red", "blue ", "red"])
        self.assertTrue(tags.has("RED"))
        self.assertTrue(tags.has(" blue"))
        self.assertFalse(tags.has("green"))

    def test_added_later(self):
        tags = TagSet()
        tags.add("Green")
        self.assertTrue(tags.has("green"))


class FeedTests(unittest.TestCase):
    def test_tagged_posts_keep_the_order_of_the_hashtags(self):
        posts = ["#b and #a and #c", "nothing here", "#a #a"]
        self.assertEqual(tagged_posts(posts, ["A", "b"]), [["b", "a"], [], ["a", "a"]])

    def test_tag_counts_count_posts(self):
        self.assertEqual(tag_counts([["a", "a"], ["a", "b"], []]), {"a": 2, "b": 1})


if __name__ == "__main__":
    unittest.main()
