"""Pull-request mode: changed hot functions only, one PR comment, at most one suggestion PR."""
