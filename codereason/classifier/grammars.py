"""Program evidence from each language's grammar: tree-sitter parses, and Lean's tactic lines.

Between :mod:`~codereason.classifier.segments` and :mod:`~codereason.classifier.verify`:
given source text and a language, say how much of it is program and how much is
not. Python uses ``tree-sitter-python``; the other languages use the grammars of
``tree-sitter-language-pack`` (0.13, which ships them compiled; 1.x downloads
grammars at run time and cannot be used offline). Lean has no tree-sitter
grammar on PyPI (the pack has none either), so Lean is judged by its tactic and
declaration lines (:func:`lean_evidence`): the same evidence (statements, share
of the text that is not Lean) from a line grammar instead of a parser.

Every language is judged on the same :class:`Evidence`: top-level statements or
definitions without errors, how many are strong (definitions, imports, loops),
the share of non-blank bytes in error nodes, and the share in statements.

>>> e = grammar_evidence("#include <cstdio>\\nint main() { printf(\\"%d\\", 6 * 7); }", "cpp")
>>> (e.n_statements, e.n_strong, e.error_share)
(2, 2, 0.0)
>>> grammar_evidence("The answer is 12 because each side has 3 units.", "cpp").n_statements
0
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from codereason.classifier import patterns

# Characters of a segment a grammar reads at most (the segment stage caps segments too).
MAX_PARSE_CHARS = 4000

# Languages with a compiled grammar in tree-sitter-language-pack, by our name.
PACK_LANGUAGES = {
    "cpp": "cpp", "c": "c", "java": "java", "javascript": "javascript", "typescript": "typescript",
    "go": "go", "rust": "rust", "r": "r", "julia": "julia", "matlab": "matlab", "bash": "bash",
    "ruby": "ruby", "csharp": "csharp", "kotlin": "kotlin", "swift": "swift", "scala": "scala",
    "haskell": "haskell", "perl": "perl", "php": "php", "lua": "lua", "sql": "sql",
}
# Languages named by fence tags that no grammar covers: a tagged fence in one of
# them is refused with this reason rather than guessed at.
NO_GRAMMAR = frozenset({"wolfram", "maple"})

# Top-level nodes that are values, not statements (a bare name, number or string).
_BARE = frozenset({
    "identifier", "integer", "float", "string", "number", "integer_literal", "float_literal", "string_literal",
    "comment", "line_comment", "block_comment", "true", "false", "null", "word", "number_literal",
    "simple_identifier", "boolean", "raw_string_literal", "char_literal", "line_continuation",
    "php_tag", "text", "text_interpolation",  # PHP's <?php and the HTML around it
})
# Top-level node kinds that are definitions, imports or loops (strong evidence).
_STRONG = re.compile(r"function|class|method|include|import|using|use_declaration|package|for_|while_|"
                     r"object_definition|struct|impl|module|fn|func")
# R: a top-level binary operator is a statement only when it assigns or pipes.
_R_STATEMENT_OPERATORS = frozenset({"<-", "<<-", "=", "->", "->>", "%>%", "|>"})
# Bash: any line of words parses as a command; only these command names make it a program.
_SHELL_COMMANDS = frozenset({
    "echo", "printf", "export", "cd", "ls", "cat", "grep", "sed", "awk", "bc", "seq", "expr", "python", "python3",
    "pip", "pip3", "mkdir", "rm", "cp", "mv", "touch", "chmod", "source", "let", "read", "set", "unset", "test",
    "wc", "sort", "head", "tail", "xargs", "find", "curl", "wget", "git", "make", "gcc", "g++", "node", "julia",
    "Rscript", "conda", "apt-get", "sudo", "declare", "local", "return", "exit", "shift", "eval", "exec",
})
# Unnamed top-level tokens that end or join statements (two statements may share a line after one).
_SEPARATORS = frozenset({";", "&", "&&", "||", ",", "\n", "|"})


class Evidence(NamedTuple):
    """What a grammar found in one piece of source.

    Attributes:
        n_statements: top-level executable statements or definitions without errors.
        n_strong: how many of those are imports, definitions or loops.
        error_share: share of the non-blank bytes inside error nodes (or, for Lean, in
            lines that are not Lean).
        language: the grammar's language.
    """

    n_statements: int
    n_strong: int
    error_share: float
    language: str = "python"

    def describe(self) -> str:
        """A short account, e.g. ``cpp: 0 statements, 73% of bytes in errors``."""
        return f"{self.language}: {self.n_statements} statements, {round(100 * self.error_share)}% of bytes in errors"


def has_grammar(language: str) -> bool:
    """True for a language this module can judge (Python, the pack's languages, Lean)."""
    return language in PACK_LANGUAGES or language in ("python", "lean")


@lru_cache(maxsize=None)
def parser_for(language: str):
    """One tree-sitter parser per language and process, built on first use."""
    from tree_sitter import Language, Parser

    if language == "python":
        import tree_sitter_python

        return Parser(Language(tree_sitter_python.language()))
    from tree_sitter_language_pack import get_parser

    return get_parser(PACK_LANGUAGES[language])


def head(source: str, max_chars: int) -> str:
    """The first ``max_chars`` of ``source``, cut at a line break when there is one."""
    if len(source) <= max_chars:
        return source
    cut = source.rfind("\n", 0, max_chars)
    return source[: cut if cut > 0 else max_chars]


def grammar_evidence(source: str, language: str, max_chars: int = MAX_PARSE_CHARS) -> Evidence:
    """Parse the first ``max_chars`` of ``source`` (whole lines) with ``language``'s grammar.

    Python has its own, finer account in :mod:`~codereason.classifier.verify`; this
    function serves every other language (Lean through :func:`lean_evidence`).
    """
    source = head(source, max_chars)
    if language == "lean":
        return lean_evidence(source)
    if language == "php" and "<?" not in source:
        source = "<?php " + source  # outside <?php tags PHP is HTML text: read a fence's code as PHP
    data = source.encode("utf-8", "surrogatepass")
    root = parser_for(language).parse(data).root_node
    n_statements = n_strong = error_bytes = 0
    previous = None
    for node in root.children:
        if node.type == "ERROR" or node.has_error or _juxtaposed(previous, node, data):
            error_bytes += node.end_byte - node.start_byte
        elif node.is_named and _is_statement(node, language, data):
            n_statements += 1
            n_strong += _STRONG.search(node.type) is not None
        previous = node
    return Evidence(n_statements, n_strong, min(1.0, error_bytes / non_blank_bytes(data)), language)


def non_blank_bytes(data: bytes) -> int:
    """Bytes that are not spaces or line breaks (at least 1)."""
    return max(1, len(data) - data.count(b" ") - data.count(b"\n"))


def _juxtaposed(previous, node, data: bytes) -> bool:
    """Two named top-level nodes on one line with nothing between them: words of a sentence.

    Lenient grammars (R, Julia) take ``The answer is 12`` as four expressions; no
    language writes statements side by side without a separator.
    """
    if previous is None or not previous.is_named or not node.is_named or previous.type == "php_tag":
        return False
    if b"\n" in data[previous.end_byte:node.start_byte]:
        return False
    return data[previous.end_byte - 1:previous.end_byte] not in (b";", b"}", b"\n")


def _is_statement(node, language: str, data: bytes) -> bool:
    """True for a top-level node that does something in ``language`` (not a bare value)."""
    kind = node.type
    if kind in _BARE:
        return False
    if kind == "expression_statement" and node.child_count and node.children[0].type in _BARE:
        return False
    if language == "r" and kind == "binary_operator":
        operator = node.child_by_field_name("operator")
        return operator is not None and operator.type in _R_STATEMENT_OPERATORS
    if language == "bash" and kind == "command":
        name = node.child_by_field_name("name")
        return name is not None and data[name.start_byte:name.end_byte].decode("utf-8", "replace") in _SHELL_COMMANDS
    if language == "matlab" and kind == "command":
        return False  # MATLAB's command syntax: any line of words
    return True


# Lean comments: a ``--`` line, or a ``/- ... -/`` block (possibly a docstring ``/-- ... -/``).
_LEAN_BLOCK_COMMENT = re.compile(r"/-.*?-/", re.DOTALL)
# Lean declarations, tactic steps and combinators that prose never writes.
_LEAN_ONLY = re.compile(
    r":=[ \t]*+by\b|<;>|⊢|\b[a-zA-Z]\w*[₀-₉]|\b(?:nlinarith|linarith|norm_num|simp_all|field_simp|ring_nf|omega|"
    r"positivity|aesop|rfl|decide|rcases|obtain|rintro|exact|simpa|interval_cases|native_decide)\b|"
    r"^[ \t]*+(?:theorem|lemma)[ \t]|\brw[ \t]*+\[|\bsimp[ \t]*+(?:\[|only\b|at\b|$)",
    re.MULTILINE,
)


def lean_evidence(source: str) -> Evidence:
    """Lean 4 judged by its lines (no Lean grammar exists for tree-sitter on PyPI).

    A line counts as a statement when it opens with a tactic, a declaration, a
    ``have``/``calc`` step or a ``<;>`` combinator (:data:`patterns.LEAN_LINE`)
    and holds something only Lean writes (``:= by``, ``linarith``, ``rw [``,
    ``⊢``, a subscripted hypothesis ``h₀``...); a deeper-indented line continues
    the step above (a ``calc`` block's first relation continues ``calc``); comments are
    skipped. Every other non-blank line is "error".
    """
    source = _LEAN_BLOCK_COMMENT.sub("", source)
    n_statements = n_strong = error_bytes = total = 0
    indent = -1
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--") or stripped == "```":
            continue
        size = len(stripped.encode("utf-8", "surrogatepass"))
        total += size
        depth = len(line) - len(line.lstrip())
        if patterns.LEAN_LINE.match(stripped) and _LEAN_ONLY.search(stripped):
            n_statements += 1
            n_strong += stripped.startswith(("theorem", "lemma", "have", "calc", "import"))
            indent = depth
        elif patterns.LEAN_LINE.match(stripped):
            indent = depth  # a step without a Lean-only token (`calc`): neither for nor against; its block continues it
        elif 0 <= indent < depth:
            continue  # a continued line: neither for nor against
        else:
            error_bytes += size
            indent = -1
    return Evidence(n_statements, n_strong, min(1.0, error_bytes / max(1, total)), "lean")


def hinted_language(body: str, max_chars: int = MAX_PARSE_CHARS) -> str | None:
    """The language an untagged fence's content points to (first matching signature), or None."""
    sample = body[:max_chars]
    for language, hint in patterns.LANGUAGE_HINTS.items():
        if hint.search(sample):
            return language
    return None
