"""What a trainer hands a reward function: completions and dataset columns, read strictly.

TRL's ``GRPOTrainer`` calls ``reward(prompts=..., completions=..., completion_ids=...,
trainer_state=..., log_extra=..., log_metric=..., **columns)``, one list entry per
completion for every dataset column. A completion is a string (standard datasets)
or a list of chat messages whose last one is the assistant's (conversational ones).

>>> completion_texts(["It is 4.", [{"role": "assistant", "content": "It is 5."}]])
['It is 4.', 'It is 5.']
>>> dataset_column({"answer": ["4", "5"]}, "answer", 2, "ground_truth")
['4', '5']
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping, Sequence

from codereason.errors import ConfigError, InputFormatError
from codereason.grade import DEFAULT_TIMEOUT_S, grade, grade_many
from codereason.records import Grade

# Keyword arguments TRL passes that are not dataset columns.
TRAINER_KWARGS = frozenset({"prompts", "completions", "completion_ids", "trainer_state", "log_extra",
                            "log_metric", "environments"})


def completion_text(completion: Any, index: int = 0) -> str:
    """The text of one completion: a string, or the content of the last chat message.

    Raises:
        InputFormatError: anything else (multimodal content parts, a bare dict, ...).
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content")
        if isinstance(content, str):
            return content
        raise InputFormatError(
            f"completion {index}: the last chat message's 'content' is {type(content).__name__}, "
            "not a string; pass text completions (multimodal content parts are not read)"
        )
    raise InputFormatError(
        f"completion {index} is a {type(completion).__name__}; expected a string or a list of chat messages"
    )


def completion_texts(completions: Sequence[Any]) -> list[str]:
    """:func:`completion_text` of every completion, in order."""
    return [completion_text(c, i) for i, c in enumerate(completions)]


def dataset_column(kwargs: Mapping[str, Any], name: str, n: int, reader: str) -> list:
    """The dataset column ``name`` that TRL passed as a keyword argument, one value per completion.

    Args:
        kwargs: the reward function's keyword arguments.
        name: the column.
        n: the number of completions.
        reader: who reads it (named in the error).

    Raises:
        ConfigError: the column is missing or its length is not ``n``.
    """
    if name not in kwargs:
        columns = sorted(k for k in kwargs if k not in TRAINER_KWARGS)
        raise ConfigError(
            f"{reader} reads the dataset column {name!r}, which the trainer did not pass "
            f"(columns: {', '.join(columns) or 'none'}); name the column that holds the answers"
        )
    values = list(kwargs[name])
    if len(values) != n:
        raise ConfigError(f"{reader}: column {name!r} has {len(values)} values for {n} completions")
    return values


def grade_texts(texts: Sequence[str], golds: Sequence[Any], *, require_boxed: bool = False,
                timeout_s: float | None = DEFAULT_TIMEOUT_S) -> list[Grade]:
    """Grade each text against its gold answer with the grader of ``codereason track``.

    Args:
        texts: the completions.
        golds: one gold answer per text (None: ``parse_error``).
        require_boxed: an unboxed answer is ``no_answer``.
        timeout_s: seconds per text in a worker process (:func:`codereason.grade.grade_many`);
            None grades in this process without a deadline.
    """
    golds = [gold_text(g, i) for i, g in enumerate(golds)]
    if timeout_s is None:
        return [grade(gold=g, response=t, require_boxed=require_boxed) for t, g in zip(texts, golds, strict=True)]
    return grade_many(list(zip(golds, texts, strict=True)), require_boxed=require_boxed, timeout_s=timeout_s)


def gold_text(gold: Any, index: int = 0) -> str | None:
    """A gold answer as the grader reads it: text or a number; None stays None (``parse_error``).

    Raises:
        ConfigError: a list, dict or other value that has no single answer text.
    """
    if gold is None or isinstance(gold, str):
        return gold
    if isinstance(gold, numbers.Number) and not isinstance(gold, bool):
        return str(gold)
    raise ConfigError(
        f"gold answer {index} is a {type(gold).__name__} ({gold!r:.60}); give one answer as text or a number"
    )


__all__ = ["TRAINER_KWARGS", "completion_text", "completion_texts", "dataset_column", "gold_text", "grade_texts"]
