"""gitgate: an approval gate for changes to Git repositories, kept inside Git itself."""

__version__ = "0.1.0"
