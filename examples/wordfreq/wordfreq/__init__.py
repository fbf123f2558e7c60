"""Word statistics for a corpus."""
