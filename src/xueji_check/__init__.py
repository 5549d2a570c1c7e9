"""xueji-check: batch compliance checks for technical-school registration and student aid."""

__version__ = "0.1.0"
