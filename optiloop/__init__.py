"""optiloop: make Python code faster with language models, and prove every speedup."""

__version__ = "0.1.0"
