"""Named regular expressions, compiled once, used to find code candidates.

Every pattern here runs in time linear in its input: Python 3.11's possessive
quantifiers (``*+``, ``++``) keep a failed match from re-trying the same
characters, no two adjacent quantified parts can match the same character
(``[ \\t]`` instead of ``\\s`` inside lines, so no pattern runs across line
breaks), a line pattern opens with :data:`LINE_START` (so a search tries it only
where a line starts) and a word run first checks that it starts a word
(``(?<![\\w.])``), and there are no backreferences. ``tests/test_linear_time.py``
builds traps from each pattern's own keywords and checks that time grows
linearly with the input; ``bench/bench_worst_case.py`` reports the worst time per KB.
"""

from __future__ import annotations

import re

# The info string right after an opening fence: the language tag, e.g. "python", "c++".
FENCE_TAG = re.compile(r"[ \t]*+([A-Za-z0-9_+#.\-]*+)")

# Inline code: a single-backtick span on one line, e.g. `x = solve(eq)` (at most 200 characters).
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]{3,200})`(?!`)")
# Maths modules (and their usual aliases) a program calls into, often without importing them.
MATHS_MODULES = ("math", "np", "numpy", "sympy", "sp", "itertools", "random", "statistics", "fractions", "cmath")
# A backtick span that calls a Python builtin or a maths library's function with arguments (`chr(100)`, `math.sqrt(2)`).
INLINE_LIBRARY_CALL = re.compile(
    r"(?:(?:" + "|".join(MATHS_MODULES) + r")\.\w++"
    r"|chr|ord|len|max|min|sum|range|sorted|int|float|str|round|pow|divmod|list|set|tuple|enumerate|zip|map|filter"
    r"|any|all|bin|hex|oct|isinstance|reversed)\([^)\s][^\n]*+")

# The start of a line (or of the text), then its indentation. Line patterns open with it, so
# a search tries them only where a line starts, never again inside a line's runs.
LINE_START = r"(?<![^\n])[ \t]*+"

# An assignment target (public: segments builds its chain test from it): ``x``, ``self.total``, ``a[i]``, ``a, b`` (one line).
TARGET = r"(?<![\w.])[A-Za-z_][\w.]*+(?:\[[^\]\n]*+\])?(?:[ \t]*+,[ \t]*+[A-Za-z_]\w*+)*+"

# A line that may be Python source outside any fence. Anchored at the start of
# a (stripped) line; the alternatives are keywords or identifier-led statements.
CODE_LINE_START = re.compile(
    LINE_START + r"""(?:
        (?:def|class|import|from|for|while|if|elif|else|try|except|with|return|print|assert|raise|lambda)\b
      | @\w                              # decorator
      | \#[ \t]?\w                       # comment
      | """ + TARGET + r"""[ \t]*+[-+*/%]?=(?!=)   # assignment
      | (?<![\w.])[A-Za-z_][\w.]*+\(      # call
    )""",
    re.VERBOSE,
)

# A line of bare names that shows values at the end of a run, as a notebook cell's last
# line does (``result``, ``a, b``, ``S_value``); it extends a run, never starts one. A name is
# lower-case-led, or capitalised with an underscore (no prose word looks like ``T_value``).
_DISPLAY_NAME = r"(?:[a-z_]\w*+|[A-Z][A-Za-z0-9]*+_\w*+)"
DISPLAY_LINE = re.compile(LINE_START + _DISPLAY_NAME + r"(?:[ \t]*+,[ \t]*+" + _DISPLAY_NAME + r")*+[ \t\r]*+(?=\n|\Z)")

# An assignment or a call with a comment after it (as code is written: ``total = a + b  # apples``,
# ``random.shuffle(cards) # mix``); prose that writes "total = 5 # of apples" means "number of".
COMMENTED_STATEMENT = re.compile(LINE_START + r"(?:" + TARGET + r"[ \t]*+[-+*/%]?=(?!=)|(?<![\w.])[A-Za-z_][\w.]*+\()"
                                 r"[^\n#]*+(?<=[ \t])\#(?![ \t]*+of\b)")

# An augmented assignment (``n <<= 1``, ``total += x``): an operator only code writes (maths has no ``+=``).
AUGMENTED_ASSIGNMENT = re.compile(LINE_START + TARGET + r"[ \t]*+(?:<<|>>|\*\*|//|[-+*/%&|@])=(?!=)[^\n]*+")

# Lines that settle a run as code by themselves: imports, definitions, loops,
# printing, or an assignment from a call or a literal collection.
STRONG_CODE_LINE = re.compile(
    LINE_START + r"""(?:
        (?:import[ \t]++\w|from[ \t]++[\w.]++[ \t]++import[ \t])   # import sympy / from math import
      | (?:def|class)[ \t]++\w++[ \t]*+[(:]                       # def f(x):  class A:
      | for[ \t]++\(?[ \t]*+\w++(?:[ \t]*+,[ \t]*+\w++)*+(?:[ \t]*+\)[ \t]*+|[ \t]++)in[ \t]++\S   # for i, j in ...
      | while[ \t][^\n]*:[ \t]*+$                                 # while n > 0:
      | print[ \t]*+\(                                            # print(result)
      | print[ \t]++(?:"[^"\n]++"|'[^'\n]++')[ \t]*+(?:,|$)             # print "hello" (Python 2; print "" is salad as often)
      | print[ \t]++[A-Za-z_][\w.]*+\(                              # print len(s) (Python 2)
      | return\b
      | """ + TARGET + r"""[ \t]*+[-+*/%]?=[ \t]*+(?:[A-Za-z_][\w.]*+\(|\[|\{)   # x = f(...), x = [...]
    )""",
    re.VERBOSE | re.MULTILINE,
)

# Tags that mark a fence as program source in a language other than Python
# (values: the language's name in :mod:`codereason.classifier.grammars`).
OTHER_LANGUAGE_TAGS = {
    "c": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cxx": "cpp", "java": "java",
    "javascript": "javascript", "js": "javascript", "typescript": "typescript", "ts": "typescript",
    "go": "go", "golang": "go", "rust": "rust", "rs": "rust", "r": "r", "matlab": "matlab",
    "octave": "matlab", "julia": "julia", "jl": "julia", "bash": "bash", "sh": "bash", "shell": "bash",
    "zsh": "bash", "ruby": "ruby", "rb": "ruby", "csharp": "csharp", "c#": "csharp", "cs": "csharp",
    "kotlin": "kotlin", "swift": "swift", "scala": "scala", "haskell": "haskell", "hs": "haskell",
    "perl": "perl", "php": "php", "lua": "lua", "sql": "sql", "wolfram": "wolfram", "mathematica": "wolfram",
    "maple": "maple", "lean": "lean", "lean4": "lean", "lean3": "lean", "tactics": "lean",
}

# Tags that mark a fence as Python ("sage" is Python with extras).
PYTHON_TAGS = {"python", "py", "python3", "py3", "ipython", "sympy", "python2", "pycon", "sage"}

# Tags that mark a fence as an output block (interpreter results, real or invented).
OUTPUT_TAGS = {"output", "out", "stdout", "result", "results", "console"}

# What the content of an untagged (or junk-tagged) fence points to: one signature per
# language, searched in the first few KB. Only a hint: the language's grammar decides.
LANGUAGE_HINTS = {
    "cpp": re.compile(r"^[ \t]*+#include[ \t]*+[<\"]|\bstd::|\bcout[ \t]*+<<|\busing namespace\b", re.MULTILINE),
    "java": re.compile(r"\b(?:public|private|protected)[ \t]++(?:static[ \t]++)?(?:final[ \t]++)?(?:class|void)\b"
                       r"|\bSystem\.out\.print|^[ \t]*+@Override\b", re.MULTILINE),
    "csharp": re.compile(r"\bConsole\.Write(?:Line)?+[ \t]*+\(|^[ \t]*+using[ \t]++System\b", re.MULTILINE),
    "javascript": re.compile(r"\bconsole\.log[ \t]*+\(|\bfunction[ \t]++\w++[ \t]*+\(|^[ \t]*+(?:const|let|var)[ \t]++\w++[ \t]*+=",
                             re.MULTILINE),
    "rust": re.compile(r"\bfn[ \t]++\w++[ \t]*+\(|\bprintln![ \t]*+\(|\blet[ \t]++mut\b"),
    "go": re.compile(r"^[ \t]*+package[ \t]++main\b|^[ \t]*+func[ \t]++\w|\bfmt\.Print", re.MULTILINE),
    "c": re.compile(r"\bprintf[ \t]*+\(|\bint[ \t]++main[ \t]*+\("),
    "r": re.compile(r"\w[ \t]*+<-[ \t]*+\S|%>%"),
    "julia": re.compile(r"^[ \t]*+(?:using[ \t]++[A-Z]\w*+|function[ \t]++\w)|\bprintln[ \t]*+\(", re.MULTILINE),
    "matlab": re.compile(r"^[ \t]*+(?:disp|fprintf)[ \t]*+\(|^[ \t]*+function[ \t]++\w++[ \t]*+=", re.MULTILINE),
    "bash": re.compile(r"^[ \t]*+(?:echo|export|cd|pip|ls|cat|grep)[ \t]++\S|^#!/bin/", re.MULTILINE),
    "lean": re.compile(r"^[ \t]*+(?:theorem|lemma|example)[ \t]|:=[ \t]*+by\b|<;>|^[ \t]*+(?:[·•.][ \t]++)?+(?:nlinarith|linarith|norm_num|"
                       r"simp_all|simp|omega|field_simp|ring_nf|rfl|decide|positivity|aesop|rcases|obtain|rintro|"
                       r"interval_cases|native_decide|exact|refine)\b(?![ \t]*+[-+*/%]?=(?!=)|[.(])", re.MULTILINE),
}

# Languages whose grammars are strict enough to judge a whole stretch of prose-and-code outside fences
# (text a model regurgitated, cut mid-statement): prose there is error, not statements.
UNFENCED_LANGUAGES = ("cpp", "c", "java", "csharp", "javascript", "rust", "go")

# A Lean 4 proof line: a tactic, a declaration, a `have`/`calc` step or a `<;>` combinator.
LEAN_LINE = re.compile(
    r"""(?:
        (?:theorem|lemma|example|def|import|open|namespace|end|section|variable|set_option)[ \t]
      | (?:have|show|obtain|rcases|rintro|intro|intros|refine|exact|apply|use|exists|calc|cases|induction
          |constructor|rw|rwa|simp|simp_all|simpa|norm_num|linarith|nlinarith|positivity|omega|ring|ring_nf
          |field_simp|decide|rfl|aesop|tauto|unfold|subst|specialize|contradiction|exfalso|by_contra
          |by_cases|push_cast|norm_cast|exact_mod_cast|gcongr|interval_cases|split_ifs|trivial|congr
          |nth_rewrite|nth_rw|conv|funext|ext|left|right|bound|native_decide|zify|qify|lift|set|let)\b
        (?![ \t]*+[-+*/%]?=(?!=)|[.(])   # not a Python name being assigned, called or indexed (`omega = 10.0`)
      | <;>
      | _[ \t]*+=                        # a calc step
      | [·•][ \t]                        # a focused goal
      | \.[ \t]++(?:nlinarith|linarith|norm_num|simp_all|simp|exact|apply|rw|omega|ring_nf|field_simp|positivity
          |aesop|decide|rfl|constructor|intro|use|refine|have|calc)\b   # a focused goal with an ASCII dot
    )""",
    re.VERBOSE,
)

# The paper's word, as a case-insensitive whole word (``mentions_python``).
PYTHON_WORD = re.compile(r"python", re.IGNORECASE)
