"""Commands of this area (filled in by its owner)."""

from codereason.cli._app import app  # noqa: F401
