"""math-verify's LaTeX parse, with the same results in less time (used by :mod:`codereason.grade`).

math-verify parses every LaTeX candidate it extracts with ``parse_latex_cached``
(latex2sympy's ANTLR parser, pure Python: most of the grading time). Two things
make it slow on real rollouts, and :func:`install` replaces that one function
with :func:`parse_latex` to remove both:

- **Its cache keeps 20 results and no failures.** A run's responses repeat the
  same candidates (the same final line in every sample of a problem, a
  repetition loop's last formula in many checkpoints; on the 789 responses of
  ``spurious-1p5b-gt-steps`` without a box, 1,064 parses of 402 distinct strings,
  the commonest one, which fails, 211 times). :func:`parse_latex` keeps
  :data:`CACHE_SIZE` outcomes, failures included.
- **Every prediction runs in ANTLR's full LL mode.** ANTLR documents two-stage
  parsing: in SLL mode "the parser will either return a correct parse tree (i.e.
  the same parse tree that would be returned with the LL prediction mode), or it
  will report a syntax error". latex2sympy's error listener raises on the first
  syntax error, so :func:`parse_latex` parses in SLL mode first and, when that
  raises for any reason, parses again exactly as math-verify does (LL), which
  then gives math-verify's own result or exception.

So the outcome for every string is math-verify's; only the time changes
(``tests/test_grade.py`` compares the two on real responses; ``bench/bench_grade.py``
times them). :func:`install` does nothing unless math-verify's function is the
one this replaces (checked by its module and name, and math-verify's version).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cache
from importlib.metadata import PackageNotFoundError, version

# The math-verify versions whose ``parse_latex_cached`` this reproduces (read in 0.9.0).
SUPPORTED_MATH_VERIFY = ("0.9.0",)
# Outcomes (results and failures) kept per process, least recently used dropped first.
CACHE_SIZE = 8192

_outcomes: OrderedDict[str, tuple[bool, object]] = OrderedDict()
# math-verify's own function, once replaced (the tests compare the two).
replaced = None


def install() -> bool:
    """Put :func:`parse_latex` in place of math-verify's ``parse_latex_cached`` (once per process).

    Returns:
        True when it is in place, False when this math-verify version is not one
        it was checked against (then math-verify runs as shipped).
    """
    global replaced
    import math_verify.parser as parser

    if parser.parse_latex_cached is parse_latex:
        return True

    try:
        math_verify_version = version("math-verify")
    except PackageNotFoundError:
        return False
    if math_verify_version not in SUPPORTED_MATH_VERIFY or not hasattr(parser.parse_latex_cached, "cache_info"):
        return False
    replaced, parser.parse_latex_cached = parser.parse_latex_cached, parse_latex
    return True


def parse_latex(latex: str):
    """What math-verify's ``parse_latex_cached(latex)`` returns or raises, kept for the next call with ``latex``."""
    outcome = _outcomes.get(latex)
    if outcome is None:
        try:
            outcome = (True, _parse_or_last_equation(latex))
        except Exception as error:  # noqa: BLE001 (math-verify catches every failure of this call)
            outcome = (False, error)
        _outcomes[latex] = outcome
        if len(_outcomes) > CACHE_SIZE:
            _outcomes.popitem(last=False)
    else:
        _outcomes.move_to_end(latex)
    succeeded, value = outcome
    if succeeded:
        return value
    raise value


def _parse_or_last_equation(latex: str):
    """math-verify 0.9.0's ``parse_latex_cached`` body: the whole string, else its last equation."""
    from math_verify.parser import get_last_eq

    try:
        return _two_stage(latex)
    except Exception:
        last_eq_latex = get_last_eq(latex)
        if last_eq_latex != latex:
            return _two_stage(last_eq_latex)
        raise


def _two_stage(latex: str):
    """latex2sympy as math-verify calls it: SLL prediction first, full LL when SLL raises."""
    from latex2sympy2_extended.latex2sympy2 import latex2sympy
    from math_verify.grader import should_treat_as_complex

    is_real = not should_treat_as_complex(latex)
    try:
        # the settings of latex2sympy(latex, is_real=..., convert_degrees=False, normalization_config=None)
        return _sll_converter_class()(None, is_real, False).parse(latex)
    except Exception:
        return latex2sympy(latex, is_real=is_real, convert_degrees=False, normalization_config=None)


@cache
def _sll_converter_class():
    """latex2sympy's converter class, parsing in SLL mode (built on first use: the imports are heavy)."""
    from antlr4.atn.PredictionMode import PredictionMode
    from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy

    class SLLConverter(_Latex2Sympy):
        def create_parser(self, latex_str):
            parser = super().create_parser(latex_str)
            parser._interp.predictionMode = PredictionMode.SLL
            return parser

    return SLLConverter
