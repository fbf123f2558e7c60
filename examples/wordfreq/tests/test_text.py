import unittest

from wordfreq.text import content_words, tokenize, top_words, unique_words, word_counts


class TextTests(unittest.TestCase):
    def test_tokenize(self):
        self.assertEqual(tokenize("The cat's hat, THE end."), ["the", "cat's", "hat", "the", "end"])
        self.assertEqual(tokenize(""), [])

    def test_content_words_keeps_order(self):
        self.assertEqual(content_words(["the", "cat", "and", "the", "hat"]), ["cat", "hat"])

    def test_unique_words_first_seen_order(self):
        self.assertEqual(unique_words(["b", "a", "b", "c", "a"]), ["b", "a", "c"])
        self.assertEqual(unique_words([]), [])

    def test_word_counts(self):
        self.assertEqual(word_counts(["x", "y", "x"]), {"x": 2, "y": 1})

    def test_top_words_ties_alphabetical(self):
        self.assertEqual(top_words(["b", "a", "b", "a", "c"], 2), [("a", 2), ("b", 2)])


if __name__ == "__main__":
    unittest.main()
