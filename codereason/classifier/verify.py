"""Evidence that a segment is program source: tree-sitter parses and language checks.

The third stage of the classifier (patterns -> segments -> verify): given a
candidate :class:`~codereason.classifier.segments.Segment`, say which language's
program it holds, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codereason.classifier import patterns
from codereason.classifier.segments import MAX_SEGMENT_CHARS, Segment

# Characters of a segment tree-sitter reads first (whole lines up to this many);
# a segment that this prefix does not settle is read again up to MAX_SEGMENT_CHARS.
VERIFY_CHARS = 120

# Top-level tree-sitter nodes that are executable statements or definitions.
_STATEMENT_NODES = frozenset({
    "import_statement", "import_from_statement", "future_import_statement",
    "function_definition", "class_definition", "decorated_definition",
    "for_statement", "while_statement", "if_statement", "with_statement", "try_statement",
    "return_statement", "print_statement", "assert_statement", "raise_statement",
    "delete_statement", "global_statement", "nonlocal_statement", "match_statement",
})
# Expressions that make an ``expression_statement`` executable (not a bare value).
_EXECUTABLE_EXPRESSIONS = frozenset({"assignment", "augmented_assignment", "call", "await"})
# Kinds that count as strong evidence on their own outside a fence.
_STRONG_NODES = frozenset({
    "import_statement", "import_from_statement", "function_definition",
    "class_definition", "decorated_definition", "for_statement", "while_statement",
})

# Blank lines and ``#`` comment lines at the start of a segment.
_LEADING_COMMENTS = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)+")

_parser = None


def _python_parser():
    """One tree-sitter parser per process, built on first use."""
    global _parser
    if _parser is None:
        import tree_sitter_python
        from tree_sitter import Language, Parser

        _parser = Parser(Language(tree_sitter_python.language()))
    return _parser


@dataclass(frozen=True)
class PythonEvidence:
    """What tree-sitter found in one segment.

    Attributes:
        n_statements: top-level executable statements without syntax errors.
        n_strong: how many of those are imports, definitions or loops.
        error_share: share of the segment's non-blank bytes inside nodes with errors.
    """

    n_statements: int
    n_strong: int
    error_share: float


def python_evidence(source: str, max_chars: int = VERIFY_CHARS) -> PythonEvidence:
    """Parse the first ``max_chars`` of ``source`` (whole lines) with tree-sitter-python.

    Leading blank and comment lines are skipped first (they are not statements,
    and code often opens with a few). The prefix is enough to tell code from
    prose, and keeps the parse cheap.
    """
    leading = _LEADING_COMMENTS.match(source)
    if leading:
        source = source[leading.end():]
    if len(source) > max_chars:
        cut = source.rfind("\n", 0, max_chars)
        source = source[: cut if cut > 0 else max_chars]
    data = source.encode("utf-8", "surrogatepass")
    root = _python_parser().parse(data).root_node
    n_statements = n_strong = error_bytes = 0
    for node in root.children:
        if node.type == "ERROR" or node.has_error:
            error_bytes += node.end_byte - node.start_byte
        elif _is_executable(node):
            n_statements += 1
            n_strong += node.type in _STRONG_NODES
    total = max(1, len(data) - data.count(b" ") - data.count(b"\n"))
    return PythonEvidence(n_statements, n_strong, min(1.0, error_bytes / total))


def _is_executable(node) -> bool:
    """True for a statement that does something (not a bare name, number or string)."""
    if node.type in _STATEMENT_NODES:
        return True
    if node.type == "expression_statement" and node.child_count:
        return node.children[0].type in _EXECUTABLE_EXPRESSIONS
    return False


def verify_segment(text: str, segment: Segment) -> str | None:
    """The language of a segment that holds program source, or None."""
    body = text[segment.start:segment.end]
    tag = segment.tag
    if segment.style == "fenced" and tag in patterns.OUTPUT_TAGS:
        return None
    if segment.style == "fenced" and tag in patterns.OTHER_LANGUAGE_TAGS and tag not in ("sage",):
        return patterns.OTHER_LANGUAGE_TAGS[tag] if _has_other_syntax(body) else None
    if _accept_python(python_evidence(body), segment):
        return "python"
    if len(body) > VERIFY_CHARS and _accept_python(python_evidence(body, MAX_SEGMENT_CHARS), segment):
        return "python"
    if segment.style == "fenced" and segment.tag in patterns.PYTHON_TAGS and _mostly_statement_lines(body):
        return "python"
    if segment.style == "fenced" and not tag and _has_other_syntax(body):
        return "other"
    return None


def _mostly_statement_lines(body: str, max_lines: int = 40) -> bool:
    """Line-by-line check for a Python fence whose whole parse failed (one broken line).

    True when at least one line, and at least half of the non-comment lines,
    parse on their own as executable statements.
    """
    lines = [line.strip() for line in body.splitlines()[:max_lines]]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return False
    good = sum(1 for line in lines if _line_is_statement(line))
    return good >= 1 and 2 * good >= len(lines)


def _line_is_statement(line: str) -> bool:
    """One line parses cleanly as an executable statement (a block header gets a body)."""
    evidence = python_evidence(line + " pass" if line.endswith(":") else line)
    return evidence.n_statements >= 1 and evidence.error_share == 0.0


def _has_other_syntax(body: str) -> bool:
    return patterns.OTHER_LANGUAGE_SYNTAX.search(body[:MAX_SEGMENT_CHARS]) is not None


def _accept_python(evidence: PythonEvidence, segment: Segment) -> bool:
    """Decide from tree-sitter evidence, stricter where the fence says less."""
    if evidence.n_statements == 0:
        return False
    if segment.style == "fenced" and segment.tag in patterns.PYTHON_TAGS:
        return evidence.n_statements >= 3 or evidence.error_share <= 0.5
    if segment.style == "inline":
        return evidence.error_share == 0.0
    strong = evidence.n_strong >= 1 or evidence.n_statements >= 2
    return strong and evidence.error_share <= 0.3

