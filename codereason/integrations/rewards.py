"""The rewards of Shao et al. (2025), *Spurious Rewards: Rethinking Training Signals in RLVR*
(arXiv 2506.10947), as reward functions for TRL and verl.

Each reward is an object that TRL's ``GRPOTrainer`` calls with a batch
(``reward(completions=..., **columns) -> list[float]``, logged as
``rewards/<name>/mean``) and that verl calls once per response through
:meth:`Reward.compute_score` (``compute_score(data_source, solution_str,
ground_truth, extra_info)``). Scores are 1.0 or 0.0, as in the paper.

>>> PythonMention()(completions=["Let me use Python.", "It is 4."])
[1.0, 0.0]
>>> FormatReward()(completions=["\\\\boxed{4}", "\\\\boxed{ }", "4"])
[1.0, 0.0, 0.0]
>>> NoPython(FormatReward())(completions=["In python: \\\\boxed{4}", "\\\\boxed{4}"])
[0.0, 1.0]
>>> RandomReward(gamma=0.5, seed=0)(completions=["a", "b", "c", "d"])
[0.0, 0.0, 1.0, 1.0]
>>> sorted(PAPER_REWARDS)
['format', 'ground_truth', 'incorrect', 'python_mention', 'random']
"""

from __future__ import annotations

import random
from typing import Any, Sequence

from codereason.errors import ConfigError
from codereason.grade import DEFAULT_TIMEOUT_S
from codereason.integrations.batch import completion_texts, dataset_column, grade_texts

BOXED = "\\boxed{"


class Reward:
    """A per-response score that TRL calls on a batch and verl calls on one response.

    Subclasses set ``__name__`` (TRL logs ``rewards/<__name__>/mean``) and
    implement :meth:`scores`.
    """

    __name__ = "reward"

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        """One score per text; ``columns`` are the dataset columns TRL passed."""
        raise NotImplementedError

    def __call__(self, completions: Sequence[Any], **kwargs) -> list[float]:
        """TRL's reward-function call: completions plus dataset columns."""
        return self.scores(completion_texts(completions), kwargs)

    def compute_score(self, data_source: str, solution_str: str, ground_truth: Any = None,
                      extra_info: dict | None = None) -> float:
        """verl's per-response call; an answer-based reward compares against ``ground_truth``."""
        return self.scores([solution_str], {})[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GroundTruth(Reward):
    """The *ground truth* reward of Shao et al. (2025), arXiv 2506.10947: 1 when the final answer is correct, else 0.

    Correctness is ``codereason track``'s: math-verify on the last ``\\boxed{}``
    (or the whole text when there is none) against the gold answer; a response
    it cannot grade (no answer, parse error, timeout) gets 0.

    Args:
        column: the dataset column with the gold answer (TRL); verl passes ``ground_truth``.
        require_boxed: an unboxed answer gets 0.
        timeout_s: seconds per response in a grading worker; None grades in this
            process without a deadline (what the per-response verl path does).
    """

    __name__ = "ground_truth"

    def __init__(self, column: str = "answer", *, require_boxed: bool = False,
                 timeout_s: float | None = DEFAULT_TIMEOUT_S):
        self.column = column
        self.require_boxed = require_boxed
        self.timeout_s = timeout_s

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        golds = dataset_column(columns, self.column, len(texts), f"reward {self.__name__}")
        return self._graded(texts, golds, self.timeout_s)

    def compute_score(self, data_source: str, solution_str: str, ground_truth: Any = None,
                      extra_info: dict | None = None) -> float:
        """verl's per-response call, graded in this process (a worker per response costs more than it guards)."""
        return self._graded([solution_str], [ground_truth], None)[0]

    def _graded(self, texts: list[str], golds: list, timeout_s: float | None) -> list[float]:
        grades = grade_texts(texts, golds, require_boxed=self.require_boxed, timeout_s=timeout_s)
        return [1.0 if g.correct is True else 0.0 for g in grades]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(column={self.column!r})"


class IncorrectReward(GroundTruth):
    """The *incorrect* reward of Shao et al. (2025), arXiv 2506.10947: 1 when the answer matches a wrong label.

    The paper trains on deliberately wrong labels and rewards only responses
    that reach them (its answer correlates negatively with correctness). Graded
    like :class:`GroundTruth`, against ``column`` instead of the true answer; in
    verl, put the wrong label in ``reward_model.ground_truth``.
    """

    __name__ = "incorrect"

    def __init__(self, column: str = "incorrect_answer", **options):
        super().__init__(column, **options)


class FormatReward(Reward):
    """The *format* reward of Shao et al. (2025), arXiv 2506.10947: 1 for at least one non-empty ``\\boxed{}``.

    Whatever the box holds, right or wrong; an unclosed box (a truncated
    response) or one holding only spaces does not count.
    """

    __name__ = "format"

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        return [1.0 if has_nonempty_box(text) else 0.0 for text in texts]


class RandomReward(Reward):
    """The *random* reward of Shao et al. (2025), arXiv 2506.10947: Bernoulli(``gamma``), whatever the response.

    Draws come from a generator seeded with ``seed``, one per response in call
    order, so a run is reproducible. Each process draws its own stream: give
    every rank its own seed (``seed + rank``) under distributed training.

    Args:
        gamma: the probability of reward 1, in [0, 1] (the paper's headline runs use 0.5).
        seed: the generator's seed.
    """

    __name__ = "random"

    def __init__(self, gamma: float = 0.5, seed: int = 0):
        if not 0.0 <= gamma <= 1.0:
            raise ConfigError(f"random reward: gamma is a probability in [0, 1]; got {gamma}")
        self.gamma, self.seed = gamma, seed
        self._rng = random.Random(seed)

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        return [1.0 if self._rng.random() < self.gamma else 0.0 for _ in texts]

    def __repr__(self) -> str:
        return f"RandomReward(gamma={self.gamma}, seed={self.seed})"


class PythonMention(Reward):
    """The *Python* reward of Shao et al. (2025), arXiv 2506.10947: 1 when ``"python" in response.lower()``, else 0.

    The paper uses it to push code reasoning up (its Python-mention rule is the
    same one the ``paper`` classifier mode uses).
    """

    __name__ = "python_mention"

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        return [1.0 if mentions_python(text) else 0.0 for text in texts]


class NoPython(Reward):
    """The *no-Python* compound of Shao et al. (2025), arXiv 2506.10947: ``reward`` AND NOT :class:`PythonMention`.

    A response scores ``reward``'s score when it does not contain the string
    "python" (any case) and 0 when it does; the paper uses these compounds to
    push code reasoning down while keeping the original signal.
    """

    def __init__(self, reward: Reward):
        self.reward = reward
        self.__name__ = f"{reward.__name__}_no_python"

    def scores(self, texts: list[str], columns: dict[str, Any]) -> list[float]:
        inner = self.reward.scores(texts, columns)
        return [0.0 if mentions_python(text) else score for text, score in zip(texts, inner, strict=True)]

    def compute_score(self, data_source: str, solution_str: str, ground_truth: Any = None,
                      extra_info: dict | None = None) -> float:
        if mentions_python(solution_str):
            return 0.0
        return self.reward.compute_score(data_source, solution_str, ground_truth, extra_info)

    def __repr__(self) -> str:
        return f"NoPython({self.reward!r})"


def mentions_python(text: str) -> bool:
    """The paper's rule: ``"python" in text.lower()``."""
    return "python" in text.lower()


def has_nonempty_box(text: str) -> bool:
    """Whether ``text`` holds a closed ``\\boxed{...}`` whose content is not blank.

    >>> has_nonempty_box("a \\\\boxed{} b \\\\boxed{\\\\frac{1}{2}}")
    True
    >>> has_nonempty_box("\\\\boxed{x")
    False
    """
    start = text.find(BOXED)
    while start >= 0:
        content = _braced(text, start + len(BOXED) - 1)
        if content is not None and content.strip():
            return True
        start = text.find(BOXED, start + 1)
    return False


def _braced(text: str, open_at: int) -> str | None:
    """The text inside the brace group opening at ``open_at``, or None when it never closes."""
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:index]
    return None


# The paper's rewards by name (verl configs and CLIs pick one by name).
PAPER_REWARDS = {
    "ground_truth": GroundTruth,
    "incorrect": IncorrectReward,
    "format": FormatReward,
    "random": RandomReward,
    "python_mention": PythonMention,
}


def paper_reward(name: str, *, no_python: bool = False, **params) -> Reward:
    """A paper reward by name, optionally as its no-Python compound.

    >>> paper_reward("format", no_python=True)
    NoPython(FormatReward())

    Raises:
        ConfigError: an unknown name.
    """
    if name not in PAPER_REWARDS:
        raise ConfigError.bad_choice("reward", name, sorted(PAPER_REWARDS))
    reward = PAPER_REWARDS[name](**params)
    return NoPython(reward) if no_python else reward


__all__ = [
    "PAPER_REWARDS", "FormatReward", "GroundTruth", "IncorrectReward", "NoPython", "PythonMention",
    "RandomReward", "Reward", "has_nonempty_box", "mentions_python", "paper_reward",
]
