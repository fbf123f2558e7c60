"""Turning a run's records into text for people: commit messages, terminal tables."""
