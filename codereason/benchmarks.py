"""Benchmarks: a registry from names to problem loaders.

``--benchmark`` takes a registered name or a file:

==============  ================================================================
name            where the problems come from
==============  ================================================================
codereason-100  the problem set shipped in the package, ``codereason/problems/`` (written by the team)
MATH-500        a local file (see below), else ``HuggingFaceH4/MATH-500`` via ``datasets``
AIME-2024       a local file, else ``HuggingFaceH4/aime_2024``
AIME-2025       a local file, else ``yentinglin/aime_2025``
AMC             a local file, else ``AI-MO/aimo-validation-amc``
==============  ================================================================

A local file for a registered name is looked up as ``<dir>/<name>.jsonl`` (or
``.json``, or ``<dir>/<name>/test.jsonl``, the Spurious Rewards layout) in
``$CODEREASON_DATA`` and then in ``<cache>/benchmarks``. Any JSON/JSONL file
also works directly as ``--benchmark path/to/file.jsonl``. Records may be in the
Spurious Rewards form ``{prompt, answer}``, the Hugging Face export form
``{problem, answer, unique_id | id, ...}`` or ours ``{id, problem, answer, topic}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from codereason.errors import ConfigError, InputFormatError, SchemaError
from codereason.models import cache_dir

SHIPPED = "codereason-100"
# Fields that can hold the question, the answer and the id, by preference.
QUESTION_FIELDS = ("problem", "question", "prompt", "Problem", "Question")
ANSWER_FIELDS = ("answer", "gt", "expected_answer", "Answer", "final_answer")
ID_FIELDS = ("id", "unique_id", "ID", "idx", "index", "problem_id")


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    Attributes:
        id: stable id within its benchmark (string).
        problem: the question text.
        answer: the exact reference answer, or None when unknown.
        topic: a subject label (``algebra``...), or None.
    """

    id: str
    problem: str
    answer: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class HubSource:
    """Where a registered benchmark lives on the Hugging Face hub."""

    dataset: str
    split: str
    config: str | None = None


HUB_SOURCES = {
    "MATH-500": HubSource("HuggingFaceH4/MATH-500", "test"),
    "AIME-2024": HubSource("HuggingFaceH4/aime_2024", "train"),
    "AIME-2025": HubSource("yentinglin/aime_2025", "train"),
    "AMC": HubSource("AI-MO/aimo-validation-amc", "train"),
}


def shipped_problems_path() -> Path:
    """The shipped problem set: ``$CODEREASON_PROBLEMS``, else the package's own copy.

    The file is package data (``codereason/problems/codereason-100.jsonl``), so an
    installed wheel finds it as an editable checkout does.
    """
    override = os.environ.get("CODEREASON_PROBLEMS")
    if override:
        return Path(override)
    return Path(str(resources.files("codereason") / "problems" / f"{SHIPPED}.jsonl"))


def _load_shipped() -> list[Problem]:
    path = shipped_problems_path()
    if not path.is_file():
        raise InputFormatError(f"{path}: the shipped problem set is missing "
                               "(reinstall codereason) or set CODEREASON_PROBLEMS to its path")
    return load_problem_file(path)


REGISTRY: dict[str, Callable[[], list[Problem]]] = {SHIPPED: _load_shipped}
REGISTRY.update({name: (lambda name=name: _load_registered(name)) for name in HUB_SOURCES})


def benchmark_names() -> tuple[str, ...]:
    """The registered benchmark names."""
    return tuple(REGISTRY)


def load_benchmark(name_or_file: str, limit: int | None = None) -> tuple[str, list[Problem]]:
    """The benchmark's name and problems (the first ``limit`` when given).

    Args:
        name_or_file: a registered name (:func:`benchmark_names`) or a JSON/JSONL path.
        limit: keep only the first ``limit`` problems.

    Raises:
        ConfigError: neither a registered name nor an existing file.
        InputFormatError / SchemaError: the file cannot be read as problems.
    """
    if name_or_file in REGISTRY:
        name, problems = name_or_file, REGISTRY[name_or_file]()
    elif Path(name_or_file).expanduser().is_file():
        path = Path(name_or_file).expanduser()
        name, problems = _name_from_path(path), load_problem_file(path)
    else:
        raise ConfigError(f"--benchmark must be one of {', '.join(map(repr, REGISTRY))} or an existing "
                          f"JSON/JSONL file; got {name_or_file!r}")
    return name, problems[:limit] if limit is not None else problems


def _name_from_path(path: Path) -> str:
    """``MATH-500`` for ``data/MATH-500/test.jsonl``; else the file stem."""
    return path.parent.name if path.stem in ("test", "train", "validation") else path.stem


def _load_registered(name: str) -> list[Problem]:
    """A registered hub benchmark: a local copy first, then the hub."""
    local = find_local_copy(name)
    if local is not None:
        return load_problem_file(local)
    return _load_from_hub(name, HUB_SOURCES[name])


def local_search_dirs() -> list[Path]:
    """Directories searched for local benchmark copies, in order."""
    dirs = [Path(os.environ["CODEREASON_DATA"]).expanduser()] if os.environ.get("CODEREASON_DATA") else []
    return dirs + [cache_dir() / "benchmarks"]


def find_local_copy(name: str) -> Path | None:
    """The first local file holding benchmark ``name``, or None."""
    for folder in local_search_dirs():
        for candidate in (f"{name}.jsonl", f"{name}.json", f"{name}/test.jsonl", f"{name}/test.json"):
            if (folder / candidate).is_file():
                return folder / candidate
    return None


def _load_from_hub(name: str, source: HubSource) -> list[Problem]:
    """Load through ``datasets``; a clear error when it is missing or the hub unreachable."""
    where = " or ".join(str(d / f"{name}.jsonl") for d in local_search_dirs())
    hint = f"put a JSON/JSONL copy at {where}, or pass --benchmark path/to/{name}.jsonl"
    try:
        import datasets
    except ImportError:
        raise InputFormatError(f"benchmark {name!r}: no local copy and the 'datasets' package is not "
                               f"installed; {hint}") from None
    try:
        rows = datasets.load_dataset(source.dataset, source.config, split=source.split)
    except Exception as exc:  # network, auth or hub errors all mean the same to the user
        raise InputFormatError(f"benchmark {name!r}: cannot load {source.dataset} from the hub "
                               f"({type(exc).__name__}: {exc}); {hint}") from None
    return [_problem_from_record(Path(source.dataset), i + 1, dict(row)) for i, row in enumerate(rows)]


def load_problem_file(path: str | os.PathLike) -> list[Problem]:
    """Problems from a JSONL file (one object a line) or a JSON file (a list, or ``{data: [...]}``).

    Raises:
        InputFormatError: not JSON/JSONL, or empty.
        SchemaError: a record without a question field (file and line named).
    """
    path = Path(path)
    records = list(_iter_records(path))
    if not records:
        raise InputFormatError(f"{path}: holds no problems")
    problems = [_problem_from_record(path, line, record) for line, record in records]
    _check_unique_ids(path, problems)
    return problems


def _iter_records(path: Path):
    """``(line or record number, dict)`` pairs from a JSON or JSONL file."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if path.suffix == ".json" or stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFormatError(f"{path}: not valid JSON ({exc})") from None
        items = data.get("data", data.get("problems")) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InputFormatError(f"{path}: expected a JSON list of problems (or {{'data': [...]}})")
        yield from enumerate(items, start=1)
        return
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is not a JSONL break
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise SchemaError(path, number, f"not valid JSON ({exc.msg})") from None


def _problem_from_record(path: Path, line: int, record: Any) -> Problem:
    """One :class:`Problem` from a record in any supported form."""
    if not isinstance(record, dict):
        raise SchemaError(path, line, f"expected a JSON object, got {type(record).__name__}")
    question = _first(record, QUESTION_FIELDS)
    if question is None:
        have = ", ".join(sorted(record)) or "(none)"
        raise SchemaError(path, line, f"missing field 'problem' (or {', '.join(QUESTION_FIELDS[1:])}) (have: {have})")
    answer = _first(record, ANSWER_FIELDS)
    problem_id = _first(record, ID_FIELDS)
    topic = _first(record, ("topic", "subject", "type"))
    return Problem(
        id=str(problem_id) if problem_id is not None else str(line - 1),
        problem=str(question),
        answer=None if answer is None else _answer_text(answer),
        topic=None if topic is None else str(topic),
    )


def _first(record: dict, names: tuple[str, ...]) -> Any:
    """The value of the first of ``names`` present (and not None) in ``record``."""
    for name in names:
        if record.get(name) is not None:
            return record[name]
    return None


def _answer_text(value: Any) -> str:
    """Answers as text: ``[5]`` becomes ``"5"``, ``70.0`` stays ``"70.0"``."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return str(value)


def _check_unique_ids(path: Path, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for number, problem in enumerate(problems, start=1):
        if problem.id in seen:
            raise SchemaError(path, number, f"duplicate problem id {problem.id!r}; ids must be unique")
        seen.add(problem.id)
