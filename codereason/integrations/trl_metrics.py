"""Code-reasoning metrics on every logging step of a TRL ``GRPOTrainer`` run.

TRL callbacks never see completions; reward functions do, with the dataset
columns, and since TRL 1.0 they also receive ``log_metric``, whose values TRL
averages into the step's logs (``trainer.state.log_history``, wandb,
tensorboard). :class:`CodeReasoningMetrics` is such a reward function: it
classifies and grades each completion and logs one value per completion, so
each logged metric is a pooled fraction over the generation batch (TRL >= 1.14
pools over all processes). It returns ``None`` for every completion: TRL skips
it when summing rewards, so adding it never changes training.

Keys (``eval_`` in front during evaluation):

- ``code_reasoning/frequency``: share of completions that reason in code (the classifier's ``mode``);
- ``code_reasoning/python_mention``: share that contain "python" (the paper's rule);
- ``code_reasoning/accuracy``: share graded correct;
- ``code_reasoning/acc_given_code`` / ``acc_given_lang``: accuracy among code / language
  completions, left out of a row when the batch has none of that kind (undefined, not 0).

>>> metrics = CodeReasoningMetrics(answer_column="answer")
>>> logged = {}
>>> _ = metrics(completions=["```python\\nprint(6 * 7)\\n```\\n\\\\boxed{42}", "It is \\\\boxed{41}."],
...             answer=["42", "42"], log_metric=lambda k, v: logged.setdefault(k, []).append(v))
>>> logged["code_reasoning/frequency"], logged["code_reasoning/acc_given_code"]
([1.0, 0.0], [1.0])
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from codereason.classifier import MODES, classify
from codereason.errors import ConfigError
from codereason.grade import DEFAULT_TIMEOUT_S
from codereason.integrations.batch import completion_texts, dataset_column, grade_texts
from codereason.records import CodeLabel

PREFIX = "code_reasoning/"
METRICS = ("frequency", "python_mention", "accuracy", "acc_given_code", "acc_given_lang")


class CodeReasoningMetrics:
    """A TRL reward function that logs code-reasoning metrics and gives no reward.

    Add it to ``reward_funcs`` (and a weight to ``reward_weights`` if you set
    them: any weight, its rewards are None)::

        metrics = CodeReasoningMetrics(answer_column="answer")
        trainer = GRPOTrainer(..., reward_funcs=[accuracy, metrics])

    Args:
        answer_column: the dataset column with the gold answer; completions are
            graded against it as ``codereason track`` does (math-verify).
        accuracy_reward: instead of grading, call this reward function (TRL
            signature) and count a completion correct when it returns 1 (0 or
            None: wrong; anything else is refused).
        mode: the classifier mode behind ``frequency`` (``ast``, ``paper``, ``learned``).
        require_boxed: grading counts an unboxed answer wrong.
        timeout_s: grading seconds per completion (in a worker process).
    """

    __name__ = "code_reasoning_metrics"  # TRL names a reward by its __name__

    def __init__(self, answer_column: str | None = "answer", *, accuracy_reward: Callable | None = None,
                 mode: str = "ast", require_boxed: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S):
        if mode not in MODES:
            raise ConfigError.bad_choice("mode", mode, MODES)
        if answer_column is None and accuracy_reward is None:
            raise ConfigError("CodeReasoningMetrics needs answer_column (to grade) or accuracy_reward")
        self.answer_column = answer_column
        self.accuracy_reward = accuracy_reward
        self.mode = mode
        self.require_boxed = require_boxed
        self.timeout_s = timeout_s

    def __call__(self, completions: Sequence[Any], log_metric: Callable | None = None,
                 log_extra: Callable | None = None, **kwargs) -> list[None]:
        """TRL's reward-function call: log the metrics of this batch, return no reward."""
        if log_metric is None:
            raise ConfigError(
                "CodeReasoningMetrics logs through the log_metric argument that TRL's GRPOTrainer (>= 1.0) "
                "passes to reward functions; outside TRL call .compute(completions, **columns)"
            )
        labels, correct = self._judge(completions, kwargs)
        for name, value in observations(labels, correct):
            log_metric(PREFIX + name, value)
        if log_extra is not None:
            log_extra("codereason/code", [label.code_reasoning for label in labels])
            log_extra("codereason/correct", correct)
        return [None] * len(labels)

    def compute(self, completions: Sequence[Any], **columns) -> dict[str, float]:
        """The metrics of one batch as a dict (NaN where undefined), for loops other than TRL's."""
        labels, correct = self._judge(completions, columns)
        return pooled(observations(labels, correct))

    def _judge(self, completions: Sequence[Any], kwargs: dict) -> tuple[list[CodeLabel], list[bool]]:
        texts = completion_texts(completions)
        labels = [classify(text, self.mode) for text in texts]
        return labels, self._correct(completions, texts, kwargs)

    def _correct(self, completions: Sequence[Any], texts: list[str], kwargs: dict) -> list[bool]:
        if self.accuracy_reward is not None:
            quiet = {**kwargs, "log_metric": _ignore, "log_extra": _ignore}
            values = list(self.accuracy_reward(completions=completions, **quiet))
            if len(values) != len(texts):
                raise ConfigError(f"accuracy_reward returned {len(values)} values for {len(texts)} completions")
            return [_as_correct(v, i) for i, v in enumerate(values)]
        golds = dataset_column(kwargs, self.answer_column, len(texts), "CodeReasoningMetrics")
        grades = grade_texts(texts, golds, require_boxed=self.require_boxed, timeout_s=self.timeout_s)
        return [g.correct is True for g in grades]

    def __repr__(self) -> str:
        if self.accuracy_reward is not None:
            return f"CodeReasoningMetrics(accuracy_reward={self.accuracy_reward!r}, mode={self.mode!r})"
        return f"CodeReasoningMetrics(answer_column={self.answer_column!r}, mode={self.mode!r})"


def observations(labels: Sequence[CodeLabel], correct: Sequence[bool]) -> list[tuple[str, float]]:
    """One ``(metric, 0/1 value)`` per completion and metric it counts in (conditionals: only their kind).

    >>> from codereason import classify
    >>> observations([classify("```python\\nprint(1)\\n```"), classify("It is 4.")], [True, False])[:4]
    [('frequency', 1.0), ('python_mention', 1.0), ('accuracy', 1.0), ('acc_given_code', 1.0)]
    """
    if len(labels) != len(correct):
        raise ConfigError(f"{len(correct)} correctness values for {len(labels)} completions")
    out = []
    for label, ok in zip(labels, correct):
        code = bool(label.code_reasoning)
        out += [("frequency", float(code)), ("python_mention", float(label.paper_code)), ("accuracy", float(ok)),
                ("acc_given_code" if code else "acc_given_lang", float(ok))]
    return out


def pooled(values: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The mean of each metric's values: what TRL logs for one generation batch (NaN when none)."""
    sums: dict[str, list[float]] = {name: [] for name in METRICS}
    for name, value in values:
        sums[name].append(value)
    return {PREFIX + name: (sum(v) / len(v) if v else math.nan) for name, v in sums.items()}


def _as_correct(value: Any, index: int) -> bool:
    """A correctness reward's value as a verdict: 1 correct, 0 or None wrong; anything else refused."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if value in (0, 1) and not isinstance(value, str):
        return bool(value)
    raise ConfigError(
        f"accuracy_reward returned {value!r} for completion {index}; CodeReasoningMetrics counts a completion "
        "correct when the reward is 1 and wrong when it is 0 or None: pass a 0/1 correctness reward"
    )


def _ignore(*args, **kwargs) -> None:
    """Stands in for TRL's loggers while ``accuracy_reward`` runs a second time."""


__all__ = ["METRICS", "PREFIX", "CodeReasoningMetrics", "observations", "pooled"]
