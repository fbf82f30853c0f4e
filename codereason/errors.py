"""Exceptions raised by codereason.

The tree::

    CodeReasonError            every error a user can fix (the CLI prints one line, exit 2)
    ├── SchemaError            an input record lacks a field or has the wrong type
    ├── InputFormatError       a file whose format is unknown or cannot be read
    ├── ConfigError            a parameter with a value outside its allowed set
    ├── GenerationError        the generator could not run (missing model, engine failure)
    ├── OutputError            an output cannot be written (read-only folder, full disk)
    └── WorkerError            a worker process died (killed for memory, signalled)

Anything else escaping codereason is a bug and keeps its traceback.
"""

from __future__ import annotations


class CodeReasonError(Exception):
    """Root of every error the user can act on."""


class SchemaError(CodeReasonError):
    """A record does not match the expected schema.

    Args:
        path: the file the record came from.
        line: 1-based line (JSONL/CSV) or record number (JSON/Parquet).
        message: what is wrong, e.g. ``missing field 'response' (have: prompt, output)``.
    """

    def __init__(self, path: object, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):
        """Pickle by the three fields, so a worker process can hand the error to the main one."""
        return type(self), (self.path, self.line, self.message)


class InputFormatError(CodeReasonError):
    """A file's format is unknown or it cannot be parsed at all."""


class ConfigError(CodeReasonError):
    """A parameter got a value outside its allowed set."""

    @classmethod
    def bad_choice(cls, name: str, value: object, allowed) -> "ConfigError":
        """Build the standard message: parameter, allowed values, value received."""
        allowed_text = ", ".join(repr(a) for a in allowed)
        return cls(f"{name} must be one of {allowed_text}; got {value!r}")


class GenerationError(CodeReasonError):
    """The generator could not run."""


class WorkerError(CodeReasonError):
    """A worker process died before returning its results."""


class OutputError(CodeReasonError):
    """An output cannot be written (read-only folder, full disk); the message says what it holds."""
