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

The same :func:`install` puts :func:`symbolic_eq` in place of math-verify's
``sympy_symbolic_eq``, its last and slowest test (``simplify(gold - pred).is_zero``;
on the unboxed responses of ``spurious-1p5b-gt-steps`` a third of the grading time, one
``6`` against ``((i + 1)/(1 - i))**100`` 1.7 s). Most pairs that reach it are different
answers, and a difference shows at a single point: :func:`symbolic_eq` evaluates both
expressions at a generic point of their symbols' domain (exact rationals, real for real
symbols, non-real for the others; sympy's adaptive-precision ``evalf`` with ``strict``, so
no digit is lost to cancellation) and answers False where they differ beyond rounding; a
simplification to zero cannot happen then, as ``a - b`` would be zero everywhere. Anything
else (equal values, a point outside the domain, symbols with other assumptions, matrices,
relations, an evaluation that fails) goes to math-verify's own function.
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
# math-verify's own functions, once replaced (the tests compare them with ours).
replaced = None
replaced_symbolic_eq = None
# Digits of the evaluation at the generic point, and the relative difference taken as "differ".
EVAL_DIGITS = 30
DIFFER_BY = 1e-15


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
    _install_symbolic_eq()
    return True


def _install_symbolic_eq() -> None:
    global replaced_symbolic_eq
    import math_verify.grader as grader

    if grader.sympy_symbolic_eq is not symbolic_eq:
        replaced_symbolic_eq, grader.sympy_symbolic_eq = grader.sympy_symbolic_eq, symbolic_eq


def symbolic_eq(a, b) -> bool:
    """What math-verify's ``sympy_symbolic_eq(a, b)`` returns, False at once where a generic point tells."""
    try:
        if differ_at_a_generic_point(a, b):
            return False
    except Exception:  # noqa: BLE001 (any failure of the check leaves the decision to math-verify)
        pass
    return replaced_symbolic_eq(a, b)


def differ_at_a_generic_point(a, b) -> bool:
    """Do two sympy expressions take values that differ beyond rounding at one generic point of their symbols?

    >>> from sympy import Integer, Symbol
    >>> i = Symbol("i", real=False)
    >>> differ_at_a_generic_point(Integer(6), ((i + 1) / (1 - i)) ** 100)
    True
    >>> x = Symbol("x", real=True)
    >>> differ_at_a_generic_point((x**2 - 1) / (x - 1), x + 1)
    False
    """
    from sympy import Expr

    if not (isinstance(a, Expr) and isinstance(b, Expr)):
        return False
    point = _generic_point(a.free_symbols | b.free_symbols)
    if point is None:
        return False
    value_a, value_b = _value(a, point), _value(b, point)
    if value_a is None or value_b is None:
        return False
    scale = max(1.0, abs(value_a), abs(value_b))
    return abs(value_a - value_b) > DIFFER_BY * scale


def _generic_point(symbols) -> dict | None:
    """Exact values for the symbols, inside each one's domain, or None for a symbol of other assumptions."""
    from sympy import I, Rational

    kinds = _symbol_kinds()
    point = {}
    for k, symbol in enumerate(sorted(symbols, key=lambda s: s.name)):
        kind = kinds.get(frozenset(symbol.assumptions0.items()))
        if kind is None:
            return None
        real = Rational(5772156649, 10**10) + Rational(k + 1, 7)
        point[symbol] = real if kind == "real" else real + I * Rational(7071067811, 10**10)
    return point


@cache
def _symbol_kinds() -> dict:
    """The assumption sets :func:`_generic_point` knows: real, none, and not real (latex2sympy's symbols)."""
    from sympy import Symbol

    return {frozenset(Symbol("x", real=True).assumptions0.items()): "real",
            frozenset(Symbol("x").assumptions0.items()): "any",
            frozenset(Symbol("x", real=False).assumptions0.items()): "nonreal"}


def _value(expr, point) -> complex | None:
    """``expr`` at ``point`` to :data:`EVAL_DIGITS` correct digits, or None where it has no finite number there."""
    value = expr.evalf(EVAL_DIGITS, subs=point, strict=True)
    if not (value.is_number and value.is_finite):
        return None
    return complex(value)


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
