"""Order reports for a small shop."""
