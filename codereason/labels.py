"""Hand-labelled development sets: load them, find their texts, score classifiers.

A label file (``data/labels/*.jsonl``) holds keys, never texts::

    {"source": "spurious-1p5b-gt-steps/results/base/Qwen2.5-Math-1.5B_MATH-500.json",
     "record": 12, "sample": 0, "label": 1, "category": "fenced_python", "note": "..."}

``source`` is relative to the real-data root (``CODEREASON_REALDATA``);
``record`` is the 0-based record (JSON ``metadata`` index, or JSONL line) and
``sample`` the index among that record's responses.
"""

from __future__ import annotations

import json
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
    row["label_file"] = str(path)
    return row


def attach_texts(labels: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    """Add each label's ``response`` text, read from its source file under ``root``.

    Raises:
        SchemaError: a key does not resolve to a response (file and key named).
    """
    by_source: dict[str, dict[tuple[int, int], str]] = {}
    for row in labels:
        if row["source"] not in by_source:
            by_source[row["source"]] = _index_responses(root / row["source"])
        text = by_source[row["source"]].get((int(row["record"]), int(row["sample"])))
        if text is None:
            raise SchemaError(row["label_file"], None,
                              f"key {row['source']} record {row['record']} sample {row['sample']} not found under {root}")
        row["response"] = text
    return labels


def _index_responses(path: Path) -> dict[tuple[int, int], str]:
    """(record, sample) -> response for one source file."""
    index = {}
    for row in read_rows(path):
        provenance = row["provenance"]
        record = provenance.get("record", provenance.get("line", 1) - 1)
        index[(record, provenance.get("sample", 0))] = row["response"]
    return index


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
