"""Experiments run with codereason (not part of the installed package)."""
