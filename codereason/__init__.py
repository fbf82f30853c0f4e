"""codereason: measure code reasoning in LLM math rollouts.

>>> from codereason import classify
>>> classify("```python\\nprint(2 ** 10)\\n```").code_reasoning
True

``import codereason`` stays light: scikit-learn, vLLM and torch load only when
the names that need them are first used.
"""

from __future__ import annotations

from importlib import import_module

from codereason.classifier import classify, classify_batches, classify_many
from codereason.errors import CodeReasonError, ConfigError, InputFormatError, SchemaError
from codereason.io import read_rollouts, read_rows
from codereason.records import CodeLabel, Grade, Rollout
from codereason.writers import RowWriter

__version__ = "0.1.0"

# Names whose modules import heavier libraries, loaded on first access.
_LAZY = {
    "CodeFeatures": "codereason.classifier.estimator",
    "CodeReasoningClassifier": "codereason.classifier.estimator",
    "code_reward": "codereason.integrations",
    "compute_score": "codereason.integrations",
    "code_frequency_metric": "codereason.integrations",
}

# A literal, sorted list (tests/test_package.py checks both and that it names every public import).
__all__ = [
    "CodeFeatures",
    "CodeLabel",
    "CodeReasonError",
    "CodeReasoningClassifier",
    "ConfigError",
    "Grade",
    "InputFormatError",
    "Rollout",
    "RowWriter",
    "SchemaError",
    "classify",
    "classify_batches",
    "classify_many",
    "code_frequency_metric",
    "code_reward",
    "compute_score",
    "read_rollouts",
    "read_rows",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'codereason' has no attribute {name!r}")
