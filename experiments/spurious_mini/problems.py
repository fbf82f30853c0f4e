"""The training set: seeded arithmetic and word problems with exact integer answers.

Each problem is drawn from a template with random numbers, so the same seed gives
the same set on any machine (Python's ``random.Random`` is stable across
versions for ``randint``/``choice``). Texts are unique within the set and none
equals (case and spacing aside) a ``codereason-100`` problem: the set is refused
otherwise. Each problem also carries ``incorrect_answer``, a seeded wrong label
(the true answer plus a non-zero offset) for the *incorrect* reward.

>>> problems = generate_problems(20, seed=1)
>>> len(problems), len({p["problem"] for p in problems})
(20, 20)
>>> all(p["answer"] != p["incorrect_answer"] for p in problems)
True
"""

from __future__ import annotations

import random
from typing import Callable

from codereason.errors import ConfigError

Template = Callable[[random.Random], tuple[str, int]]
NAMES = ("Maya", "Tom", "Ana", "Ravi", "Lena", "Omar", "Sofia", "Kenji", "Ines", "Noah")
ITEMS = ("apples", "pencils", "stickers", "marbles", "books", "cards", "shells", "coins")


def _sum(rng: random.Random) -> tuple[str, int]:
    a, b = rng.randint(10, 999), rng.randint(10, 999)
    return f"Compute {a} + {b}.", a + b


def _difference(rng: random.Random) -> tuple[str, int]:
    a, b = rng.randint(100, 999), rng.randint(10, 99)
    return f"Calculate {a} minus {b}.", a - b


def _product(rng: random.Random) -> tuple[str, int]:
    a, b = rng.randint(3, 99), rng.randint(3, 30)
    return f"Find the product of {a} and {b}.", a * b


def _quotient(rng: random.Random) -> tuple[str, int]:
    b, q = rng.randint(2, 19), rng.randint(2, 60)
    return f"Divide {b * q} by {b}.", q


def _two_step(rng: random.Random) -> tuple[str, int]:
    a, b, c = rng.randint(2, 20), rng.randint(2, 20), rng.randint(1, 50)
    return f"Evaluate {a} * {b} + {c}.", a * b + c


def _buys_more(rng: random.Random) -> tuple[str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = rng.randint(5, 80), rng.randint(5, 80)
    return f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?", a + b


def _gives_away(rng: random.Random) -> tuple[str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a = rng.randint(20, 150)
    b = rng.randint(1, a - 1)
    return f"{name} had {a} {item} and gave {b} of them to a friend. How many {item} are left?", a - b


def _boxes(rng: random.Random) -> tuple[str, int]:
    item = rng.choice(ITEMS)
    per_box, boxes = rng.randint(4, 36), rng.randint(2, 25)
    return f"A box holds {per_box} {item}. How many {item} are in {boxes} full boxes?", per_box * boxes


def _share(rng: random.Random) -> tuple[str, int]:
    item = rng.choice(ITEMS)
    children, each = rng.randint(2, 12), rng.randint(2, 30)
    return (f"{children * each} {item} are shared equally among {children} children. "
            f"How many {item} does each child get?"), each


def _distance(rng: random.Random) -> tuple[str, int]:
    speed, hours = rng.randint(20, 120), rng.randint(2, 9)
    return f"A train travels at {speed} km per hour for {hours} hours. How many km does it travel?", speed * hours


def _wage(rng: random.Random) -> tuple[str, int]:
    name = rng.choice(NAMES)
    rate, hours, bonus = rng.randint(8, 40), rng.randint(2, 12), rng.randint(5, 60)
    return (f"{name} earns {rate} dollars per hour, works {hours} hours and gets a {bonus} dollar tip. "
            f"How many dollars does {name} earn in total?"), rate * hours + bonus


def _percent(rng: random.Random) -> tuple[str, int]:
    percent, hundreds = rng.choice((10, 20, 25, 30, 40, 50, 60, 75, 80, 90)), rng.randint(1, 12)
    return f"What is {percent} percent of {hundreds * 100}?", percent * hundreds


def _sum_and_difference(rng: random.Random) -> tuple[str, int]:
    small, gap = rng.randint(1, 60), rng.randint(1, 40)
    large = small + gap
    return (f"Two numbers add up to {small + large} and differ by {gap}. "
            f"What is the larger number?"), large


TEMPLATES: tuple[Template, ...] = (
    _sum, _difference, _product, _quotient, _two_step, _buys_more, _gives_away, _boxes, _share,
    _distance, _wage, _percent, _sum_and_difference,
)


def normalized(text: str) -> str:
    """A problem text with case and spacing folded (what "the same problem" means here)."""
    return " ".join(text.lower().split())


def generate_problems(size: int, seed: int, exclude: set[str] = frozenset(),
                      max_tries: int = 100) -> list[dict]:
    """``size`` unique problems drawn with ``seed``, none of whose normalized text is in ``exclude``.

    Returns:
        Records ``{id, problem, answer, incorrect_answer, topic}`` (answers as strings).

    Raises:
        ConfigError: ``size`` unique problems could not be drawn in ``max_tries * size`` draws.
    """
    rng = random.Random(seed)
    seen = set(exclude)
    problems: list[dict] = []
    for _ in range(max_tries * size):
        if len(problems) == size:
            break
        template = rng.choice(TEMPLATES)
        text, answer = template(rng)
        if normalized(text) in seen:
            continue
        seen.add(normalized(text))
        offset = rng.choice((-3, -2, -1, 1, 2, 3)) * rng.randint(1, 3)
        problems.append({
            "id": f"mini-{len(problems):04d}", "problem": text, "answer": str(answer),
            "incorrect_answer": str(answer + offset), "topic": template.__name__.lstrip("_"),
        })
    if len(problems) != size:
        raise ConfigError(f"drew only {len(problems)} unique problems of {size} with seed {seed}; lower data.size")
    return problems


def benchmark_texts(name: str = "codereason-100") -> set[str]:
    """The normalized problem texts of a registered benchmark (the set to stay distinct from)."""
    from codereason.benchmarks import load_benchmark

    _, problems = load_benchmark(name)
    return {normalized(problem.problem) for problem in problems}
