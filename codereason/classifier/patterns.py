"""Named regular expressions, compiled once, used to find code candidates.

Every pattern here is linear-time on any input: no nested quantifiers, no
backreferences, and each is applied to bounded text (one line or one fence).
"""

from __future__ import annotations

import re

# The info string right after an opening fence: the language tag, e.g. "python", "c++".
FENCE_TAG = re.compile(r"[ \t]*([A-Za-z0-9_+#.\-]*)")

# Inline code: a single-backtick span on one line, e.g. `x = solve(eq)`.
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]{3,200})`(?!`)")

# A line that may be Python source outside any fence. Anchored at the start of
# a (stripped) line; the alternatives are keywords or identifier-led statements.
CODE_LINE_START = re.compile(
    r"""(?:
        (?:def|class|import|from|for|while|if|elif|else|try|except|with|return|print|assert|raise|lambda)\b
      | @\w                              # decorator
      | \#\s?\w                          # comment
      | [A-Za-z_][\w.]*(?:\[[^\]\n]*\])?(?:\s*,\s*[A-Za-z_]\w*)*\s*[-+*/%]?=(?!=)   # assignment
      | [A-Za-z_][\w.]*\(                # call
    )""",
    re.VERBOSE,
)

# Lines that settle a run as code by themselves: imports, definitions, loops,
# printing, or an assignment from a call or a literal collection.
STRONG_CODE_LINE = re.compile(
    r"""(?:
        (?:import\s+\w|from\s+[\w.]+\s+import\s)   # import sympy / from math import
      | (?:def|class)\s+\w+\s*[(:]                  # def f(x):  class A:
      | for\s+[\w, ()]+\s+in\s+\S                   # for i in range(10):
      | while\s+.+:\s*$                             # while n > 0:
      | print\s*\(                                   # print(result)
      | return\b
      | [A-Za-z_][\w.]*(?:\[[^\]\n]*\])?\s*[-+*/%]?=\s*(?:[A-Za-z_][\w.]*\(|\[|\{)   # x = f(...), x = [...]
    )""",
    re.VERBOSE,
)

# Tags that mark a fence as program source in a language other than Python.
OTHER_LANGUAGE_TAGS = {
    "c": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cxx": "cpp", "java": "java",
    "javascript": "javascript", "js": "javascript", "typescript": "typescript", "ts": "typescript",
    "go": "go", "golang": "go", "rust": "rust", "rs": "rust", "r": "r", "matlab": "matlab",
    "octave": "matlab", "julia": "julia", "bash": "bash", "sh": "bash", "shell": "bash",
    "ruby": "ruby", "rb": "ruby", "csharp": "csharp", "c#": "csharp", "cs": "csharp",
    "kotlin": "kotlin", "swift": "swift", "scala": "scala", "haskell": "haskell", "perl": "perl",
    "php": "php", "lua": "lua", "sql": "sql", "wolfram": "wolfram", "mathematica": "wolfram",
    "sage": "python", "maple": "maple",
}

# Tags that mark a fence as Python.
PYTHON_TAGS = {"python", "py", "python3", "py3", "ipython", "sympy", "python2", "pycon"}

# Tags that mark a fence as an output block (interpreter results, real or invented).
OUTPUT_TAGS = {"output", "out", "stdout", "result", "results", "console"}

# Syntax that only program source has, for fences in another language: a
# statement ending in ';', braces around a block, #include, typed main, calls
# of well-known printing functions.
OTHER_LANGUAGE_SYNTAX = re.compile(
    r"""(?:
        ^\s*\#include\s*[<"]
      | \b(?:int|void|public\s+static)\s+\w+\s*\([^)\n]*\)\s*\{
      | \b(?:console\.log|System\.out\.print\w*|printf|cout\s*<<|std::|println!?)\s*[(<]?
      | ^\s*(?:let|const|var|auto|int|double|long|float)\s+\w+\s*(?:=|;)
      | \bfunction\s+\w+\s*\(
      | \bfor\s*\(.*;.*;.*\)
      | ^\s*(?:fn|func)\s+\w+\s*\(
      | ^\s*echo\s
      | (?:<-|%>%)                       # R assignment
      | ;\s*$
    )""",
    re.VERBOSE | re.MULTILINE,
)

# The paper's word, as a case-insensitive whole word (``mentions_python``).
PYTHON_WORD = re.compile(r"python", re.IGNORECASE)
