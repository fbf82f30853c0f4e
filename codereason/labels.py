"""Hand-labelled development sets: load them, find their texts, score classifiers.

A label file (``data/labels/*.jsonl``) holds keys, never texts::

    {"source": "spurious-1p5b-gt-steps/results/base/Qwen2.5-Math-1.5B_MATH-500.json",
     "record": 12, "sample": 0, "label": 1, "category": "fenced_python", "note": "..."}

``source`` is relative to the real-data root (``CODEREASON_REALDATA``), or, when it
starts with ``./`` or ``../``, to the label file's own folder (texts we generated ourselves);
``record`` is the 0-based record (JSON ``metadata`` index, or JSONL line) and
``sample`` the index among that record's responses, as codereason's readers number them.

A key may instead carry a ``pointer`` (RFC 6901 JSON Pointer) that names the text inside
the raw file, independent of any reader: for a JSONL file it points into the object on
line ``record`` (0-based), for a JSON file into the whole document (``record`` is then
``null``); any other file (``.txt``, ``.lean``) is one text, named by the pointer ``""``.
``sample`` is 0 for such keys.

>>> resolve_pointer({"messages": [{"content": "a"}, {"content": "b"}]}, "/messages/1/content")
'b'
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

from codereason.errors import ConfigError, SchemaError
from codereason.io import read_rows

KEY_FIELDS = ("source", "record", "sample", "label")


def realdata_root(path: str | os.PathLike | None = None) -> Path:
    """The real-data root: ``path``, else ``$CODEREASON_REALDATA``.

    Raises:
        ConfigError: neither is set, or the directory does not exist.
    """
    root = path or os.environ.get("CODEREASON_REALDATA")
    if not root:
        raise ConfigError("set CODEREASON_REALDATA (or pass --realdata DIR) to the folder the label keys point into")
    if not Path(root).is_dir():
        raise ConfigError(f"real-data root {root} is not a directory")
    return Path(root)


def load_labels(paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    """Read label files, checking every row has the key fields and a 0/1 label."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    rows.append(_check_label(path, number, line))
    return rows


def _check_label(path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SchemaError(path, number, f"not valid JSON ({exc.msg})") from None
    missing = [name for name in KEY_FIELDS if name not in row]
    if missing:
        raise SchemaError(path, number, f"missing field {missing[0]!r} (have: {', '.join(sorted(row))})")
    if row["label"] not in (0, 1, True, False):
        raise SchemaError(path, number, f"field 'label' must be 0 or 1, got {row['label']!r}")
    if not isinstance(row.get("note", ""), str):  # the borderline mark is read from it: a list or number would pass as "sure"
        raise SchemaError(path, number, f"field 'note' must be a string, got {type(row['note']).__name__} {row['note']!r:.60}")
    row["label_file"] = str(path)
    return row


def attach_texts(labels: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    """Add each label's ``response`` text, read from its source file under ``root``.

    Raises:
        SchemaError: a key does not resolve to a response (file and key named).
    """
    by_source: dict[str, dict[tuple[int, int], str]] = {}
    documents: dict[Path, Any] = {}
    for row in labels:
        path = _source_path(row, root)
        if "pointer" in row:
            text = _pointed_text(row, path, documents)
        else:
            if path not in by_source:
                by_source[path] = _index_responses(path)
            text = by_source[path].get((int(row["record"]), int(row["sample"])))
        if text is None:
            raise SchemaError(row["label_file"], None, f"key {describe_key(row)} names no response text under {root}")
        row["response"] = text
    return labels


def _source_path(row: dict[str, Any], root: Path) -> Path:
    source = row["source"]
    if source.startswith(("./", "../")):
        return Path(row["label_file"]).parent / source
    return root / source


def _pointed_text(row: dict[str, Any], path: Path, documents: dict[Path, Any]) -> str | None:
    """The string a ``pointer`` key names, or None when it names nothing or no string."""
    if path not in documents:
        documents[path] = _load_document(path)
    document = documents[path]
    if isinstance(document, list):  # JSONL: one object per line
        record = row["record"]
        if not isinstance(record, int) or not 0 <= record < len(document) or document[record] is None:
            return None
        document = document[record]
    try:
        text = resolve_pointer(document, row["pointer"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return text if isinstance(text, str) else None


def _load_document(path: Path) -> Any:
    """A JSON file's document, a JSONL file's lines (None for blank lines), or any other file's text."""
    with open(path, encoding="utf-8") as handle:
        if path.suffix == ".jsonl":
            return [json.loads(line) if line.strip() else None for line in handle]
        if path.suffix == ".json":
            return json.load(handle)
        return handle.read()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON Pointer (``/a/0/b``) inside ``document``.

    Raises:
        KeyError, IndexError, TypeError, ValueError: the pointer names nothing there.
    """
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def _index_responses(path: Path) -> dict[tuple[int, int], str]:
    """(record, sample) -> response for one source file.

    Raises:
        SchemaError: the reader numbers no records in this file, or numbers two alike
            (a key could then name the wrong text): use a ``pointer`` key instead.
    """
    index = {}
    for row in read_rows(path):
        provenance = row["provenance"]
        if "record" not in provenance and "line" not in provenance:
            raise SchemaError(path, None, "its reader gives no record numbers: key its labels with a 'pointer'")
        key = (provenance.get("record", provenance.get("line", 1) - 1), provenance.get("sample", 0))
        if key in index:
            raise SchemaError(path, None, f"record {key[0]} sample {key[1]} is numbered twice: key its labels with a 'pointer'")
        index[key] = row["response"]
    return index


# Which labels to score by the labeller's own doubt: a note that starts with ``borderline:``
# marks a response a careful reader could label either way (``data/labels/README.md``).
BORDERLINE_CHOICES = ("include", "exclude", "only")
BORDERLINE_MARK = "borderline:"


def is_borderline(row: dict[str, Any]) -> bool:
    """The labeller marked this label borderline (its note starts with ``borderline:``)."""
    return row.get("note", "").lstrip().lower().startswith(BORDERLINE_MARK)


def select_by_borderline(rows: list[dict[str, Any]], how: str = "include") -> list[dict[str, Any]]:
    """The labels to score: all of them (``include``), those the labeller was sure of (``exclude``), or the borderline ones (``only``).

    >>> rows = [{"note": "borderline: one call in salad"}, {"note": "a python fence"}]
    >>> [len(select_by_borderline(rows, how)) for how in BORDERLINE_CHOICES]
    [2, 1, 1]
    """
    if how not in BORDERLINE_CHOICES:
        raise ConfigError.bad_choice("borderline", how, BORDERLINE_CHOICES)
    if how == "include":
        return list(rows)
    return [row for row in rows if is_borderline(row) == (how == "only")]


def evaluate(y_true, y_pred) -> dict[str, Any]:
    """Precision, recall, F1, accuracy and the confusion matrix (scikit-learn metrics)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    matrix = confusion_matrix(y_true, y_pred, labels=[False, True])
    return {
        "n": len(y_true), "precision": float(precision), "recall": float(recall), "f1": float(f1),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "confusion": {"tn": int(matrix[0, 0]), "fp": int(matrix[0, 1]), "fn": int(matrix[1, 0]), "tp": int(matrix[1, 1])},
    }


def wilson_interval(successes: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (``(0.0, 1.0)`` when ``total`` is 0).

    >>> [round(x, 3) for x in wilson_interval(40, 40)]
    [0.912, 1.0]
    """
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def describe_key(row: dict[str, Any]) -> str:
    """A label's key as one line: ``source record R sample S`` or ``source pointer /a/0``."""
    where = f"{row['source']} record {row['record']}"
    return where + (f" pointer {row['pointer']!r}" if "pointer" in row else f" sample {row['sample']}")


def source_group(source: str) -> str:
    """The real-data folder a label's source lies in (``./`` sources: the file's name)."""
    parts = Path(source).parts
    return parts[-1] if source.startswith("./") else parts[0]


def scores_with_intervals(y_true, y_pred) -> dict[str, Any]:
    """Counts, precision, recall and F1 with 95% Wilson intervals for precision and recall."""
    tp = sum(1 for t, p in zip(y_true, y_pred) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred) if not t and p)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t and not p)
    tn = len(y_true) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    return {"n": len(y_true), "positives": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "precision_95": wilson_interval(tp, tp + fp),
            "recall": recall, "recall_95": wilson_interval(tp, tp + fn), "f1": f1}


def evaluate_by_source(rows: list[dict[str, Any]], predicted: list[bool]) -> list[dict[str, Any]]:
    """One score row per real-data folder, then the pooled row (``source == "all"``)."""
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(source_group(row["source"]), []).append(index)
    table = []
    for name in sorted(groups) + ["all"]:
        indices = groups.get(name, range(len(rows)))
        truth = [bool(rows[i]["label"]) for i in indices]
        table.append({"source": name, **scores_with_intervals(truth, [predicted[i] for i in indices])})
    return table
