"""Evidence that a segment is program source, and the verdict on each segment.

The fourth stage of the classifier (patterns -> segments -> grammars -> verify): given
a candidate :class:`~codereason.classifier.segments.Segment`, say which language's
program it holds, or why it holds none (:class:`Verdict`); :func:`judge_candidates`
judges a response's candidates in order, as ``classify``, the learned model's
features and the viewer all read them.

- A fence tagged with a language is parsed with that language's grammar.
- An untagged or junk-tagged fence is tried as Python, then as the language its
  content points to (:func:`~codereason.classifier.grammars.hinted_language`);
  text that no grammar accepts is not code, however code-like its tokens. An
  untagged fence after a line that names Python or code and ends in ``:`` is judged
  as a fence tagged ``python`` first.
- An unfenced run of code-like lines is decided as a whole: a run with an import,
  definition or loop as before; a chain of assignments only when it parses without
  errors as several statements, every variable it reads is defined (in the run,
  in earlier code of the response, or a builtin), some statement reads a name
  defined before it, and it writes no maths (``^`` powers, non-ASCII names).
  A run refused as a whole is read line by line (:func:`_statement_lines_program`):
  a line only code writes (a clean ``print(...)``, import, ``def`` header, maths
  library call, an assignment with a comprehension or lambda or from a maths library's
  call, or a statement with a comment after it: ``total = a + b  # apples``), or three
  or more clean statement lines passing names on, make it code; an untagged fence with
  such a line is code too, as is one with ``#`` comment lines and a clean statement, or
  one clean assignment to a name longer than a letter.
- A fence tagged Python whose whole parse fails is code when one line, writing no
  maths, is a clean statement or an expression that calls something.
- Lines at a Python prompt (``>>> x = 15 - 8``) are code when one of them, the
  prompt taken off, is a clean statement.
"""

from __future__ import annotations

import builtins
import keyword
import re
from itertools import islice
from operator import attrgetter
from typing import NamedTuple

from codereason.classifier import grammars, patterns
from codereason.classifier.grammars import Evidence, grammar_evidence, hinted_language
from codereason.classifier.segments import MAX_SEGMENT_CHARS, MAX_SEGMENTS, Segment, repl_runs

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
# Names a program may read without defining them.
# Modules that maths programs use without importing them (Program-of-Thought's few-shot
# prompts leave ``import math`` out) count as defined too.
_BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__", "scipy", "decimal", *patterns.MATHS_MODULES}
# Nodes whose identifiers (in the given field) are bound, not read.
_BINDING_FIELDS = {"assignment": "left", "augmented_assignment": "left", "for_statement": "left",
                   "for_in_clause": "left", "named_expression": "name", "function_definition": "name",
                   "class_definition": "name", "as_pattern_target": None, "global_statement": None,
                   "nonlocal_statement": None, "lambda_parameters": None, "parameters": None,
                   "default_parameter": "name", "typed_default_parameter": "name", "typed_parameter": None,
                   "list_splat_pattern": None, "dictionary_splat_pattern": None, "import_statement": None,
                   "aliased_import": "alias"}
# Containers a bound name may sit in on the left of ``=`` (``a, (b, c) = ...``).
_TARGET_CONTAINERS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                                "parenthesized_expression", "expression_list", "list_splat_pattern"})

# Blank lines and ``#`` comment lines at the start of a segment.
_LEADING_COMMENTS = re.compile(r"(?<![ \t])(?:[ \t]*+(?:#[^\n]*+)?\n)++")
# A variable name as algebra writes it: one letter, maybe digits (``x``, ``C``, ``a1``).
_SINGLE_LETTER = re.compile(r"[A-Za-z]\d*+")
# Characters of maths written as code: a power caret, or a non-ASCII letter in a name.
_MATHS_NOTATION = re.compile(r"\^|[^\x00-\x7f]")

PythonEvidence = Evidence  # the name before the grammars stage existed


class Verdict(NamedTuple):
    """The decision on one segment.

    Attributes:
        language: the program's language, or None when the segment holds no program.
        reason: why it was refused ('' when accepted, or when there is nothing to say,
            e.g. an output block).
    """

    language: str | None
    reason: str = ""


def python_evidence(source: str, max_chars: int = VERIFY_CHARS) -> Evidence:
    """Parse the first ``max_chars`` of ``source`` (whole lines) with tree-sitter-python.

    Leading blank and comment lines are skipped first (they are not statements,
    and code often opens with a few). The prefix is enough to tell code from
    prose, and keeps the parse cheap.
    """
    return _python_parse(source, max_chars, keep=False)[0]


def _python_parse(source: str, max_chars: int, keep: bool = True):
    """``(evidence, root node)`` of tree-sitter-python on the first ``max_chars`` of ``source`` (``keep``: the root too)."""
    leading = _LEADING_COMMENTS.match(source)
    if leading:
        source = source[leading.end():]
    data = grammars.head(source, max_chars).encode("utf-8", "surrogatepass")
    tree = grammars.parser_for("python").parse(data)
    root = tree.root_node
    n_statements = n_strong = error_bytes = 0
    for node in root.children:
        if node.type == "ERROR" or node.has_error:
            error_bytes += node.end_byte - node.start_byte
        elif _is_executable(node):
            n_statements += 1
            n_strong += _is_strong(node)
    share = min(1.0, error_bytes / grammars.non_blank_bytes(data))
    return Evidence(n_statements, n_strong, share, "python"), (_Parsed(tree, root) if keep else None)


class _Parsed:
    """A parse's root node that keeps its tree alive (a bare node may outlive the tree it points into)."""

    __slots__ = ("tree", "root")

    def __init__(self, tree, root):
        self.tree, self.root = tree, root

    def __getattr__(self, name):
        return getattr(self.root, name)


def _is_executable(node) -> bool:
    """True for a statement that does something (not a bare name, number or string)."""
    if node.type in _STATEMENT_NODES:
        return True
    if node.type == "expression_statement" and node.child_count:
        return node.children[0].type in _EXECUTABLE_EXPRESSIONS
    return False


class Scope:
    """The names a response's accepted Python code has defined so far.

    Sources are parsed for their names only when a later run asks (most responses
    never do), so accepting a fence costs no second parse.
    """

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._pending: list[str] = []
        # Names bound by refused untagged fences of one clean statement each: a later
        # such fence that reads one is a program split over cells (``a = ...`` / ``b = f(a)``).
        self.single_statements: set[str] = set()

    def add(self, source: str) -> None:
        """Record accepted Python source."""
        self._pending.append(source)

    def names(self) -> set[str]:
        """Every name the recorded sources bind."""
        while self._pending:
            self._names |= _bound_names(_python_parse(self._pending.pop(), MAX_SEGMENT_CHARS)[1])
        return self._names


def verify_segment(text: str, segment: Segment, defined: Scope | None = None) -> str | None:
    """The language of a segment that holds program source, or None (see :func:`judge_segment`)."""
    return judge_segment(text, segment, defined).language


def judge_segment(text: str, segment: Segment, defined: Scope | None = None) -> Verdict:
    """Decide one segment.

    Args:
        text: the whole response.
        segment: the candidate.
        defined: what the response's code defined before this segment (pass one
            :class:`Scope` for a response's segments in order); Python this
            segment holds is added to it when accepted.
    """
    body = text[segment.start:segment.end]
    tag = segment.tag
    defined = Scope() if defined is None else defined
    if segment.style == "inline":
        evidence = python_evidence(body)
        if evidence.n_statements == 1 and _MATHS_SUBSTITUTION.fullmatch(body.strip()):
            return Verdict(None, "inline assignment to a one-letter name: a substitution in maths")
        return _verdict("python" if evidence.n_statements and not evidence.error_share else None, evidence)
    if segment.style == "unfenced":
        if tag == "pycon":  # found by judge_candidates's fallback, not by candidate_segments
            return _judge_session(body, defined)
        if tag == "lean":
            lean = _judge_lean(body, tagged=False)
            python = lean if lean.language else _judge_run(body, defined)  # Lean-looking lines may be Python
            return python if python.language else lean
        at_end = not text[segment.end:].strip()
        alone = segment.start < 64 and len(text) - segment.end < 64 and not text[:segment.start].strip() and at_end
        verdict = _judge_run(body, defined, alone)
        if not verdict.language and at_end:
            verdict = _judge_cut_run(body, defined, alone) or verdict
        if not verdict.language and not _inside_asymptote(text, segment.start) and _statement_lines_program(body):
            defined.add(body)
            return Verdict("python")
        if not verdict.language and _introduced_as_code(text, text.rfind("\n", 0, segment.start) + 1, body):
            return _judge_python_fence(body, defined)
        return verdict
    if tag in patterns.OUTPUT_TAGS:
        return Verdict(None)
    if tag in patterns.PYTHON_TAGS:
        return _judge_python_fence(body, defined)
    if not tag and _introduced_as_code(text, text.rfind("\n", 0, max(0, segment.start - 1)) + 1, body):
        verdict = _judge_python_fence(body, defined)
        if verdict.language:
            return verdict
    language = patterns.OTHER_LANGUAGE_TAGS.get(tag)
    if language in grammars.NO_GRAMMAR:
        return Verdict(None, f"fence tagged {tag!r}: no grammar for {language}")
    if language == "lean":
        return _judge_lean(body, tagged=True)
    if language:
        evidence = grammar_evidence(body, language)
        return _verdict(language if evidence.n_statements and evidence.error_share <= 0.5 else None, evidence)
    return _judge_untagged_fence(body, tag, defined)


# An inline span that only sets a one-letter name (``x = tanh(z)``, ``y_1 = f(x_0)``): prose that says
# "by setting `x = tanh(z)`" substitutes, as in maths; code inline has a call, a print, a longer name.
_MATHS_SUBSTITUTION = re.compile(r"[A-Za-z](?:_?+\d++)?+[ \t]*+=(?!=)[^=\n]*+")


def response_text(value, where: str = "classify()") -> str:
    """``value`` as the text to classify: a ``str`` as it is, ``None`` as an empty response.

    Anything else (a number, a list of messages, bytes) is refused rather than
    classified as its ``str()``: a reader or caller that hands over the wrong field
    must be told, not given a plausible label.

    Raises:
        TypeError: ``value`` is neither a str nor None.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise TypeError(f"{where} takes a response as a str (or None), got {type(value).__name__} {str(value)[:60]!r}: "
                    "pass the response's text (for chat messages, their content)")


def judge_candidates(text: str, fences: list[Segment], outside: list[Segment]) -> list[tuple[Segment, Verdict]]:
    """Every candidate segment with its verdict, judged as :func:`~codereason.classifier.rules.classify` judges them.

    The first :data:`MAX_SEGMENTS` candidates (``candidate_segments(text)``) are
    judged in order of position with one :class:`Scope`,
    so names that earlier code defines count as defined in later runs and fences
    (code split by prose, or across MathCoder messages). The learned model's
    features and the viewer's highlights read these same verdicts.
    """
    defined = Scope()
    judged = [(segment, judge_segment(text, segment, defined))
              for segment in sorted((*fences, *outside), key=attrgetter("start"))[:MAX_SEGMENTS]]
    if not any(verdict.language for _, verdict in judged):
        prompts = _prompt_runs(text, fences, defined)
        judged.extend(prompts)
        if not any(verdict.language for _, verdict in prompts):
            judged.extend(_other_language_gaps(text, fences))
    return judged


def _prompt_runs(text: str, fences: list[Segment], defined: Scope) -> list[tuple[Segment, Verdict]]:
    """Runs of Python prompt lines outside fences (:func:`~codereason.classifier.segments.repl_runs`), each judged.

    Only for a response in which no candidate was code (the search would cost a scan of every response).
    """
    if ">>>" not in text:
        return []
    return [(run, _judge_session(text[run.start:run.end], defined))
            for start, end in _gaps(text, fences) for run in islice(repl_runs(text, start, end), MAX_SEGMENTS)]


def _other_language_gaps(text: str, fences: list[Segment]) -> list[tuple[Segment, Verdict]]:
    """Stretches outside fences written in a language other than Python, judged whole by its grammar.

    Only for a response in which no candidate was code, and only for the languages of
    :data:`~codereason.classifier.patterns.UNFENCED_LANGUAGES` whose signature the stretch holds
    (``@Override``, ``Console.WriteLine(``, ``#include``...): Java or C# a model regurgitated and
    cut mid-statement is split into runs that fail as Python one by one. Only stretches with two or
    more lines ending in ``;`` are looked at (the signature search costs more than the rest of the
    classifier on long prose). Accepted with three or more statements and at most 30% of the bytes in
    error nodes (prose around the code counts as error). A stretch the response ends in (cut at the
    length limit) that fails is parsed again with its open braces closed, and the better parse kept: an
    unclosed ``namespace {`` is otherwise one error node over the whole program.
    """
    found, text_end = [], len(text.rstrip())
    for start, end in _gaps(text, fences):
        cut = end >= text_end
        end = min(end, start + MAX_SEGMENT_CHARS)
        body = text[start:end]
        if body.count(";\n") + body.count(";\r\n") < 2:  # these languages end statements with `;`: a cheap first test
            continue
        language = hinted_language(body)
        if language not in patterns.UNFENCED_LANGUAGES:
            continue
        evidence = grammar_evidence(body, language)
        if cut and evidence.error_share > 0.3:
            evidence = min(evidence, grammar_evidence(_braces_closed(body), language), key=attrgetter("error_share"))
        accepted = evidence.n_statements >= 3 and evidence.error_share <= 0.3
        found.append((Segment(start, end, "unfenced", language), _verdict(language if accepted else None, evidence,
                                                                          "unfenced text with a signature of ")))
    return found


def _braces_closed(body: str) -> str:
    """``body`` with a closing brace appended for each brace left open (string literals not told apart)."""
    return body + "\n" + "}" * max(0, body.count("{") - body.count("}"))


def _gaps(text: str, fences: list[Segment]) -> list[tuple[int, int]]:
    """The stretches of ``text`` outside the fences (their markers included), non-blank ones only."""
    gaps, position = [], 0
    for fence in sorted(fences, key=attrgetter("start")):
        gaps.append((position, fence.start))
        position = max(position, fence.end)
    gaps.append((position, len(text)))
    return [(start, end) for start, end in gaps if text[start:end].strip()]


def _verdict(language: str | None, evidence: Evidence, prefix: str = "") -> Verdict:
    return Verdict(language, "" if language else prefix + evidence.describe())


def _judge_python_fence(body: str, defined: Scope) -> Verdict:
    """A fence tagged Python: lenient (the tag says what it is)."""
    if _opens_with_an_import(body):  # accepted by _opens_with_a_statement however the rest parses: no parse needed
        defined.add(body)
        return Verdict("python")
    evidence = python_evidence(body)
    if not _accept_tagged_python(evidence) and len(body) > VERIFY_CHARS:
        evidence = python_evidence(body, MAX_SEGMENT_CHARS)
    if _accept_tagged_python(evidence) or _has_a_statement_line(body) or _opens_with_a_statement(body):
        defined.add(body)
        return Verdict("python")
    return _verdict(None, evidence)


def _judge_session(body: str, defined: Scope) -> Verdict:
    """Lines at a Python prompt (``>>> for n in range(1, 7):``): code when one of them, the prompt taken off, is a clean statement.

    A prompt is what only a Python session prints; prose and salad after one do not parse.
    """
    for statement in prompt_statements(body)[:40]:
        if statement and len(statement) <= _MAX_STATEMENT_LINE and _line_is_statement(statement):
            defined.add(_with_body(statement))
            return Verdict("python")
    return Verdict(None, "python prompt lines: none is a clean statement")


def prompt_statements(body: str) -> list[str]:
    """What follows each ``>>>`` prompt of a run of prompt lines, stripped."""
    return [line.lstrip()[3:].strip() for line in body.splitlines() if line.lstrip().startswith(">>>")]


# The line before a fence says the fence holds code: it names Python or code and ends in a colon
# ("Here is the Python solution to your problem:", "the following code:"; "the JavaScript code:"
# before a fence of JavaScript does not make it Python).
_NAMES_CODE = re.compile(r"\b(?:python|code)\b", re.IGNORECASE)


def _introduced_as_code(text: str, line_start: int, body: str) -> bool:
    """An untagged fence or unfenced run after a line that ends in ``:`` and whose last sentence names Python, or names code and the body points to no other language.

    The prose has tagged the body: it is judged as a fence tagged ``python`` (a fence
    refused so is judged again as an untagged fence). ``line_start``: the offset of the
    line the body opens on (for a fence, its opening backticks' line).
    """
    if line_start <= 0:
        return False
    before = text[max(0, line_start - 301):line_start - 1].rstrip()
    line = before[before.rfind("\n") + 1:]
    sentence = line[max(line.rfind(". "), line.rfind("! "), line.rfind("? ")) + 1:]
    if not line.rstrip(" \t*").endswith(":") or not _NAMES_CODE.search(sentence):
        return False
    return "python" in line.lower() or hinted_language(body) is None


# An import line tree-sitter parses cleanly on its own: ``import sympy as sp``, ``from math import gcd, lcm``, ``from x import *``.
_ALIAS = r"(?:[ \t]++as[ \t]++[A-Za-z_]\w*+)?+"
_CLEAN_IMPORT = re.compile(r"(?:import[ \t]++[A-Za-z_][\w.]*+" + _ALIAS + r"(?:[ \t]*+,[ \t]*+[A-Za-z_][\w.]*+" + _ALIAS + r")*+"
                           r"|from[ \t]++[A-Za-z_][\w.]*+[ \t]++import[ \t]++(?:\*|[A-Za-z_]\w*+" + _ALIAS
                           + r"(?:[ \t]*+,[ \t]*+[A-Za-z_]\w*+" + _ALIAS + r")*+))[ \t]*+")
_IMPORT_WORDS = frozenset({"import", "from", "as"})


def _first_statement_line(body: str) -> str | None:
    """The first stripped line of a Python fence's first 40 that is neither blank nor a ``#`` or ``//`` comment."""
    for line in body.splitlines()[:40]:
        line = line.strip()
        if line and not line.startswith(("#", "//")):  # a C-style comment line in a python fence is a comment too
            return line
    return None


def _opens_with_an_import(body: str) -> bool:
    """The first statement line (:func:`_first_statement_line`) is a clean import.

    A cheap test, without a parse, of what makes :func:`_opens_with_a_statement` accept a fence: most
    Python fences of maths models open with ``import sympy as sp``.
    """
    line = _first_statement_line(body)
    return line is not None and bool(_CLEAN_IMPORT.fullmatch(line)) and not any(
        keyword.iskeyword(word) for word in re.findall(r"\w+", line) if word not in _IMPORT_WORDS)


def _opens_with_a_statement(body: str) -> bool:
    """A Python fence whose first statement line is clean: an import, definition or loop header, or a statement.

    The tag and such an opening say a program was begun (``import math`` or
    ``factorial18 = 1``, then a line that breaks): by the labelling convention a fence
    with one real statement is code, however the rest of it degenerates. A first
    statement that writes maths (``^``) does not count.
    """
    line = _first_statement_line(body)
    if line is None:
        return False
    evidence = _line_evidence(line)
    return evidence.error_share == 0.0 and (evidence.n_strong >= 1 or evidence.n_statements >= 1 and "^" not in line)


def _accept_tagged_python(evidence: Evidence) -> bool:
    return evidence.n_statements >= 1 and (evidence.n_statements >= 3 or evidence.error_share <= 0.5)


def _judge_untagged_fence(body: str, tag: str, defined: Scope) -> Verdict:
    """An untagged or junk-tagged fence: Python first, then the language the content points to."""
    evidence = python_evidence(body)
    if not _accept_untagged(evidence) and len(body) > VERIFY_CHARS:
        evidence = python_evidence(body, MAX_SEGMENT_CHARS)
    if _accept_untagged(evidence) or _continues_a_cell(body, evidence, defined) or (
            not tag and _code_lines_in_untagged_fence(body)):
        defined.add(body)
        return Verdict("python")
    tried = [evidence.describe()]
    hinted = hinted_language(body)
    if hinted == "lean":
        verdict = _judge_lean(body, tagged=False)
        if verdict.language:
            return verdict
        tried.append(verdict.reason)
    elif hinted:
        other = grammar_evidence(body, hinted)
        if _accept_untagged(other):
            return Verdict(hinted)
        tried.append(other.describe())
    label = f"fence tagged {tag!r}" if tag else "untagged fence"
    return Verdict(None, f"{label}: " + "; ".join(tried) + ("" if hinted else "; no other language's signature"))


def _code_lines_in_untagged_fence(body: str) -> bool:
    """An untagged fence with a line only code writes, a statement with a comment after it, or ``#`` comments and a clean statement."""
    lines = _non_comment_lines(body)
    short = _short_lines(lines)
    return _has_a_line_only_code_writes(short) or _has_a_commented_statement(lines) or (
        _comments_and_a_statement(body, short)) or _one_named_assignment(lines)


def _one_named_assignment(lines: list[str]) -> bool:
    """The fence's one line is a clean assignment that computes a value for a name longer than a letter (``pvalue = (60 + 100) / 200``).

    Set apart in a fence of its own, a statement is code by the labelling convention; a
    one-letter name (``x = 5``) is algebra's as often, and maths (``^``) does not count.
    """
    if len(lines) != 1 or "^" in lines[0] or not _line_is_statement(lines[0]):
        return False
    root = _python_parse(lines[0], MAX_SEGMENT_CHARS)[1]
    statement = root.children[0]
    if statement.type != "expression_statement" or statement.children[0].type != "assignment":
        return False
    target = statement.children[0].child_by_field_name("left")
    return (target.type == "identifier" and not _SINGLE_LETTER.fullmatch(_name(target))
            and _computes(root) and not _writes_maths(root))


def _continues_a_cell(body: str, evidence: Evidence, defined: Scope) -> bool:
    """One clean statement in an untagged fence that reads a name an earlier such fence (or code) bound.

    A program written cell by cell, one statement per fence, with prose between:
    each fence alone is too little evidence, the flow of names from one to the
    next is enough (a name the statement binds itself, ``n = 1 + f(n)``, is a
    formula's, not a flow). The names this fence binds are kept for the fences after it.
    """
    if evidence.n_statements != 1 or evidence.error_share:
        return False
    root = _python_parse(body, MAX_SEGMENT_CHARS)[1]
    if _error_node_share(root) or _writes_maths(root) or _assigns_to_a_call(root):
        return False
    bound = _bound_names(root)
    if (_read_names(root) - bound) & (defined.single_statements | defined.names()):
        return True
    defined.single_statements |= bound
    return False


def _assigns_to_a_call(root) -> bool:
    """``floor(sqrt(n)) = floor(n / 2)``: an equation between formulas (tree-sitter parses it, Python would not)."""
    return any(node.type == "assignment" and node.child_by_field_name("left").type == "call" for node in _nodes(root))


def _accept_untagged(evidence: Evidence) -> bool:
    """Stricter where the fence says less: a strong statement or two, few errors."""
    strong = evidence.n_strong >= 1 or evidence.n_statements >= 2
    return strong and evidence.error_share <= 0.3


def _judge_lean(body: str, tagged: bool) -> Verdict:
    """Lean by its tactic and declaration lines (:func:`~codereason.classifier.grammars.lean_evidence`)."""
    evidence = grammar_evidence(body, "lean")
    enough = evidence.n_statements >= 1 and evidence.error_share <= (0.5 if tagged else 0.3)
    return _verdict("lean" if enough else None, evidence)


def _judge_run(body: str, defined: Scope, alone: bool = False) -> Verdict:
    """An unfenced run of code-like lines, decided as a whole (``alone``: the whole response)."""
    evidence, root = _python_parse(body, MAX_SEGMENT_CHARS)
    if alone and evidence.error_share and _shows_what_it_assigned(body):
        defined.add(body)
        return Verdict("python")
    if evidence.n_strong == 0 and _has_broken_strong_node(root):
        share = _error_node_share(root)
        if share > 0.3 and not _opens_with_a_program(body, root):
            return Verdict(None, f"unfenced run: a definition or loop, {round(100 * share)}% of bytes in error nodes")
        defined.add(body)
        return Verdict("python")
    if evidence.n_statements == 0:
        if _opens_with_a_program(body, root) or (alone and _commented_display(body)):
            defined.add(body)
            return Verdict("python")
        return _verdict(None, evidence, "unfenced run: ")
    if evidence.n_strong >= 1:
        share = _error_node_share(root)
        if share > 0.3 and not _opens_with_a_program(body, root):
            return Verdict(None, f"unfenced run: {round(100 * share)}% of bytes in error nodes")
    else:
        reason = _chain_problem(body, evidence, root, defined, alone)
        if reason:
            return Verdict(None, f"unfenced run: {reason}")
    defined.add(body)
    return Verdict("python")


def _is_strong(node) -> bool:
    """An import, definition or loop, or a Python 2 ``print "text"`` (no prose line parses as one)."""
    if node.type == "print_statement":  # print "" is salad's as often as Python 2's
        return len(node.children) > 1 and node.children[1].type == "string" and len(node.children[1].text) > 2
    return node.type in _STRONG_NODES


def _has_broken_strong_node(root) -> bool:
    """A top-level import, definition or loop with a syntax error inside (``def f(n):`` whose body has one bad line)."""
    return any(node.type in _STRONG_NODES and node.has_error for node in root.children)


def _opens_with_a_program(body: str, root) -> bool:
    """The lines before the first broken one are a clean definition or loop: three lines or more, or a function that returns a value.

    A model that begins a function and then degenerates (``def add(s):`` with two
    good statements, then token salad) wrote code by the labelling convention.
    """
    first_error = min((node.start_byte for node in _nodes(root) if _innermost_error(node)), default=None)
    if first_error is None:
        return False
    data = root.text
    prefix = data[:data.rfind(b"\n", 0, first_error) + 1].decode("utf-8", "surrogatepass")
    lines = [line for line in prefix.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    evidence, clean = _python_parse(prefix, MAX_SEGMENT_CHARS)
    if evidence.n_strong == 0 or evidence.error_share:
        return False
    return len(lines) >= 3 or any(node.type == "return_statement" and node.named_children for node in _nodes(clean))


def _innermost_error(node) -> bool:
    """A missing node, or an ERROR node with no broken node inside (where the parse first failed, not the block it spoiled)."""
    return node.is_missing or (node.type == "ERROR" and not any(child.type == "ERROR" or child.has_error for child in node.children))


def _judge_cut_run(body: str, defined: Scope, alone: bool) -> Verdict | None:
    """A run the response ends in, judged without its last line (cut off at the length limit), when that makes it a program."""
    lines = body.rstrip().split("\n")
    if sum(1 for line in lines if line.strip()) < 3:
        return None
    verdict = _judge_run("\n".join(lines[:-1]), defined, alone)
    return verdict if verdict.language else None


def _error_node_share(root) -> float:
    """Share of non-blank bytes inside ERROR or missing nodes (a broken line, not its whole block)."""
    error_bytes, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            error_bytes += node.end_byte - node.start_byte
        elif node.has_error:
            stack.extend(node.children)
    return min(1.0, error_bytes / grammars.non_blank_bytes(root.text))


def _chain_problem(body: str, evidence: Evidence, root, defined: Scope, alone: bool = False) -> str:
    """Why a run without imports, definitions or loops is not a program ('' when it is one).

    A program of assignments parses as several lines (at most 30% of its bytes in
    errors, as for any unfenced run), and some statement
    reads a name an earlier one (or earlier code) defined. It may read names it
    never defines only when it is marked as code: a ``#`` comment line, or a last
    line that shows a value (``result``, ``a, b``) as a notebook cell does. A run that
    is the whole response (a Program-of-Thought one-liner, ``ans = 45 - 30``) is set
    apart from prose by definition: one clean statement that reads nothing undefined is
    enough.
    """
    if evidence.error_share > 0.3:
        return f"{round(100 * evidence.error_share)}% of bytes in errors"
    if _MATHS_NOTATION.search(body) and _writes_maths(root):
        return "maths notation (^ or a non-ASCII name)"
    if "#" not in body and _algebra_only(root):
        return "single-letter variables, no call, string, comment or display line (algebra written out)"
    if sum(1 for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")) < 2:
        if not alone or evidence.error_share:
            return "a single line"
        if not _computes(root) and not _commented(body):
            return "a single line that computes nothing (a value written down)"
        undefined = _read_names(root) - _bound_names(root) - _BUILTIN_NAMES - _called_names(root)
        return "reads undefined names: " + ", ".join(sorted(undefined)[:5]) if undefined else ""
    statements = [node for node in root.children if node.type != "comment"]
    bound, flows, read = set(), False, set()
    for node in statements:
        reads = _read_names(node)
        flows = flows or bool(reads & bound)
        bound |= _bound_names(node)
        read |= reads
    if not flows and not read & defined.names() and not (_commented(body) and _python_only_syntax(root)):
        return "no statement reads a name defined before it"
    undefined = read - bound - _BUILTIN_NAMES - _called_names(root)
    if undefined and not _marked_as_code(body, root, statements):
        undefined = sorted(undefined - defined.names())
        if undefined:
            return "reads undefined names: " + ", ".join(undefined[:5])
    return ""


def _algebra_only(root) -> bool:
    """Every name bound is one letter (with digits: ``C``, ``x1``) and nothing but arithmetic is written.

    ``C = 6`` / ``F = (1/2) * C`` / ``H = 2*F + 5`` in a thinking trace is algebra;
    a program names its variables, calls something, comments, or shows a value on its
    last line (MathCoder's ``x = 30 - 20`` / ``x``).
    """
    bound = _bound_names(root)
    if not bound or not all(_SINGLE_LETTER.fullmatch(name) for name in bound):
        return False
    statements = [node for node in root.children if node.type != "comment"]
    if _shows_values(statements):
        return False
    return not any(node.type in ("call", "comment", "string", "attribute", "subscript") for node in _nodes(root))


def _computes(root) -> bool:
    """True when some expression operates, calls or reads a name (``ans = 3`` does none of these)."""
    operates = ("binary_operator", "call", "boolean_operator", "comparison_operator", "subscript")
    return any(node.type in operates for node in _nodes(root)) or bool(_read_names(root))


def _nodes(root):
    """Every node under ``root`` (``root`` included)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _writes_maths(root) -> bool:
    """A ``^`` between operands (a power in maths, a rare xor in code) or a non-ASCII name (``Σ``, ``x̄``)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and not node.text.isascii():
            return True
        if node.type == "binary_operator" and node.child_by_field_name("operator").type == "^":
            return True
        if node.type not in ("string", "comment"):
            stack.extend(node.children)
    return False


# Expressions only a program writes (maths has no ``a if c else b`` or ``[x for x in s]``).
_PYTHON_ONLY_EXPRESSIONS = frozenset({"conditional_expression", "list_comprehension", "dictionary_comprehension",
                                      "set_comprehension", "generator_expression", "keyword_argument", "lambda"})


# Of those, the ones a degenerate line does not write by chance (``f(a = 1)`` is salad as often as code).
_PROGRAM_ONLY_EXPRESSIONS = _PYTHON_ONLY_EXPRESSIONS - {"keyword_argument"}


def _python_only_syntax(root) -> bool:
    """Some expression is one only a program writes (:data:`_PYTHON_ONLY_EXPRESSIONS`)."""
    return any(node.type in _PYTHON_ONLY_EXPRESSIONS for node in _nodes(root))


def _commented(body: str) -> bool:
    """Some line of the run is a ``#`` comment."""
    return any(line.lstrip().startswith("#") for line in body.splitlines())


def _commented_display(body: str) -> bool:
    """``#`` comment lines and one line of bare names (``# Check the equation`` / ``equation``): a notebook cell.

    Each name shown is an identifier no word is (``eq3_substituted``) or one the comment names
    (a heading and a word, ``# Answer`` / ``five``, is not a cell).
    """
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    shown = [line for line in lines if not line.startswith("#")]
    if len(shown) != 1 or len(shown) == len(lines) or not patterns.DISPLAY_LINE.fullmatch(shown[0]):
        return False
    comment_words = set(re.findall(r"\w+", " ".join(line for line in lines if line.startswith("#"))))
    return all(name in comment_words or not name.isalpha() for name in re.findall(r"\w+", shown[0]))


# An assignment line's target: one name or several (`a, b = ...`), not a comparison.
_ASSIGNED = re.compile(r"^([A-Za-z_]\w*+(?:[ \t]*+,[ \t]*+[A-Za-z_]\w*+)*+)[ \t]*+=(?!=)", re.MULTILINE)


# A line only a program opens with: an import or the header of a definition or loop.
_CELL_HEADER = re.compile(r"^(?:import[ \t]++\w|from[ \t]++[\w.]++[ \t]++import[ \t]|(?:def|class|for|while)[ \t])", re.MULTILINE)


def _is_cell_header(line: str) -> bool:
    """An import, or a ``def``/``class``/``for``/``while`` header ending in ``:``."""
    found = _CELL_HEADER.match(line)
    return bool(found) and (found.group().startswith(("import", "from")) or line.rstrip().endswith(":"))


def _shows_what_it_assigned(body: str) -> bool:
    """A notebook cell with a syntax error: ``#`` comments, assignments, and a last line showing a name they set.

    Every other line is a comment, an assignment, an import, a definition or loop header or an indented
    continuation, and the name shown is an
    identifier no word is (``second_parentheses_result``): MathCoder's code messages whose one broken
    assignment (``7.subs(...)``, an unclosed f-string) no parser accepts.
    """
    lines = [line for line in body.splitlines() if line.strip()]
    if len(lines) < 3 or not any(line.lstrip().startswith("#") for line in lines):
        return False
    *steps, shown = lines
    if not patterns.DISPLAY_LINE.fullmatch(shown.strip()) or shown[:1].isspace():
        return False
    assigned = set()
    for line in steps:
        if line.lstrip().startswith("#") or line[:1].isspace() or _is_cell_header(line):
            continue
        target = _ASSIGNED.match(line)
        if not target:
            return False
        assigned.update(re.findall(r"\w+", target.group(1)))
    shown_names = re.findall(r"\w+", shown)
    return any(name in assigned and not name.isalpha() for name in shown_names)


def _marked_as_code(body: str, root, statements) -> bool:
    """A ``#`` comment (a line of its own or after a statement), or a last statement that only shows values (a notebook cell's display line)."""
    return _commented(body) or any(node.type == "comment" for node in root.children) or _shows_values(statements)


def _shows_values(statements) -> bool:
    """The last statement only shows values (a notebook cell's display line)."""
    last = statements[-1] if statements else None
    return last is not None and last.type == "expression_statement" and not _is_executable(last)


def _identifiers(root):
    """Every identifier node under ``root``."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            yield node
        else:
            stack.extend(node.children)


def _name(node) -> str:
    return node.text.decode("utf-8", "replace")


def _bound_names(root) -> set[str]:
    """Names a piece of Python binds: assignment and loop targets, definitions, parameters, imports."""
    return {_name(node) for node in _identifiers(root) if _role(node) == "bind"}


def _read_names(root) -> set[str]:
    """Names a piece of Python reads (loads)."""
    return {_name(node) for node in _identifiers(root) if _role(node) == "read"}


def _called_names(root) -> set[str]:
    """Names called as functions (``sqrt`` in ``sqrt(x)``): a program may call a library it forgot to import."""
    names = set()
    for node in _identifiers(root):
        parent = node.parent
        if parent is not None and parent.type == "call" and parent.child_by_field_name("function") == node:
            names.add(_name(node))
    return names


def _role(node) -> str:
    """``bind``, ``read`` or ``other`` (an attribute or keyword name) for one identifier."""
    parent = node.parent
    if parent is None:
        return "read"
    kind = parent.type
    if kind == "attribute" and parent.child_by_field_name("attribute") == node:
        return "other"
    if kind == "keyword_argument" and parent.child_by_field_name("name") == node:
        return "other"
    if kind in ("import_from_statement", "dotted_name", "aliased_import") or _inside_import(parent):
        return "bind" if _imported_name(node) else "other"
    child = node
    while kind in _TARGET_CONTAINERS and parent.parent is not None:
        child, parent = parent, parent.parent
        kind = parent.type
    if kind in _BINDING_FIELDS:
        field = _BINDING_FIELDS[kind]
        if field is None or parent.child_by_field_name(field) == child:
            return "bind"
    return "read"


def _inside_import(node) -> bool:
    while node is not None and node.type in ("dotted_name", "aliased_import"):
        node = node.parent
    return node is not None and node.type in ("import_statement", "import_from_statement")


def _imported_name(node) -> bool:
    """True for the identifier an import binds: ``sqrt`` in ``from math import sqrt``, ``np`` in ``as np``."""
    parent = node.parent
    if parent.type == "aliased_import":
        return parent.child_by_field_name("alias") == node
    if parent.type == "dotted_name":
        statement = parent.parent
        if statement is None or statement.type == "aliased_import":
            return False
        if statement.type == "import_from_statement":
            return statement.child_by_field_name("module_name") != parent and parent.children[-1] == node
        return parent.children[0] == node  # import a.b binds a
    return False


def _inside_asymptote(text: str, start: int) -> bool:
    """``start`` lies in an ``[asy]`` figure (Asymptote, which MATH problems hold, reads line by line as assignments)."""
    opened = text.rfind("[asy]", max(0, start - MAX_SEGMENT_CHARS), start)
    return opened >= 0 and text.rfind("[/asy]", opened, start) < 0


# Openings of lines only code writes (each still has to parse on its own).
_PRINT_WITH_ARGUMENT = re.compile(r"print[ \t]*+\([ \t]*+[^)\s]")
_IMPORT = re.compile(r"import[ \t]|from[ \t]++[\w.]++[ \t]++import[ \t]")
_DEFINITION_HEADER = re.compile(r"(?:def|class)[ \t]++\w++[ \t]*+[(:]")
# A comment line: ``#``, a space, a word (``#1``, ``#####`` and ``#hashtag`` are not).
_COMMENT_LINE = re.compile(patterns.LINE_START + r"\#[ \t]++\w")
_LIBRARY_MODULES = (*patterns.MATHS_MODULES, "scipy", "torch", "pandas", "pd", "hashlib", "collections", "functools",
                    "operator", "heapq", "bisect", "decimal", "datetime", "json", "os", "sys")
_LIBRARY_CALL = re.compile(r"(?<![\w.])(?:" + "|".join(_LIBRARY_MODULES) + r")\.\w++[ \t]*+\(")
# A Python 2 print statement's opening (``print any(xs), "done"``).
_PYTHON2_PRINT = re.compile(r"print[ \t]++[A-Za-z_\"']")
# A call of a Python builtin that maths does not write (``tuple((1, 2))``, ``sorted(xs)``; not ``max``, ``abs``, ``round``).
_BUILTIN_CALL = re.compile(r"(?<![\w.])(?:tuple|list|dict|set|sorted|len|range|str|int|float|enumerate|zip|map|filter"
                           r"|isinstance|input|open|bin|hex|oct|ord|chr|reversed|print)\(")
# A line that may be an assignment or a call (the cheap test before a line is parsed).
_STATEMENT_LIKE = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*+(?:\[[^\]\n]{0,80}+\])?+[ \t]*+(?:[-+*/%]?+=(?!=)|\()")
# Longer lines are not parsed one by one (a salad line costs a parse of its length).
_MAX_STATEMENT_LINE = 200


def _statement_lines_program(body: str) -> bool:
    """An unfenced run that no whole parse accepts, judged line by line.

    A line only code writes (:func:`_has_a_line_only_code_writes`) makes it code (by the
    labelling convention one such line is code, however the text around it degenerates).
    Otherwise three or more lines that each parse on their own as executable statements,
    at least half of the run's lines, where a later one reads a name an earlier one binds
    (a program with a broken line or two); maths written as code (``^``, non-ASCII names,
    one-letter algebra, equations between calls) does not count, nor do LaTeX lines.
    """
    lines = _non_comment_lines(body)
    short = _short_lines(lines)
    return _has_a_line_only_code_writes(short) or _has_a_commented_statement(lines) or _lines_pass_names_on(short, len(lines))


def _non_comment_lines(body: str, max_lines: int = 40) -> list[str]:
    """The stripped non-blank lines of ``body`` (its first ``max_lines``) that are not ``#`` comments."""
    lines = [line.strip() for line in body.splitlines()[:max_lines]]
    return [line for line in lines if line and not line.startswith("#")]


def _short_lines(lines: list[str]) -> list[str]:
    """The lines short enough, and free enough of LaTeX, to be parsed one by one."""
    return [line for line in lines if len(line) <= _MAX_STATEMENT_LINE and not _latex_line(line)]


def _has_a_line_only_code_writes(lines: list[str]) -> bool:
    """One line parses on its own as a statement no prose or maths writes.

    A ``print(...)`` with an argument (a clean expression that opens with one counts too,
    whatever operators follow it: ``print(*xs) + [1]``), an import, a ``def``/``class``
    header, a call of a maths or standard library's function (``random.shuffle(cards)``),
    or an assignment written with syntax only a program has (``pairs = [v for v in values
    if v > 2]``), from a library's call (``arr = np.ones(n) + 1``, ``h = hashlib.sha256(b)``)
    or from a builtin maths does not write (``box = tuple((1, 2))``).
    """
    for line in lines:
        if _PRINT_WITH_ARGUMENT.match(line) or _IMPORT.match(line) or _LIBRARY_CALL.match(line) or (
                _DEFINITION_HEADER.match(line) and line.endswith(":")):
            if _line_is_statement(line) or _PRINT_WITH_ARGUMENT.match(line) and _is_clean_expression(line):
                return True
        elif _PYTHON2_PRINT.match(line) and _is_python2_print(line):
            return True
        elif "=" in line and _STATEMENT_LIKE.match(line) and _line_is_statement(line):
            root = _python_parse(line, MAX_SEGMENT_CHARS)[1]
            if root.children[0].children[0].type == "assignment" and (any(
                    node.type in _PROGRAM_ONLY_EXPRESSIONS for node in _nodes(root)) or _LIBRARY_CALL.search(line)
                    or _BUILTIN_CALL.search(line)):
                return True
    return False


def _has_a_commented_statement(lines: list[str]) -> bool:
    """One line is a clean assignment or call with a comment after it (``total = a + b  # apples``).

    Only the statement is parsed (the comment may run long); maths (``^``) and LaTeX do not count.
    """
    for line in lines:
        found = patterns.COMMENTED_STATEMENT.match(line)
        if found:
            statement = line[:found.end() - 1].rstrip()
            if len(statement) <= _MAX_STATEMENT_LINE and "^" not in statement and not _latex_line(statement) and (
                    _line_is_statement(statement)):
                return True
    return False


def _comments_and_a_statement(body: str, short: list[str]) -> bool:
    """An untagged fence of ``#`` comment lines and a clean statement that sets or calls something named (not algebra).

    The comments say the fence holds a program (a fence of Markdown has nothing to comment),
    and one real statement is code by the labelling convention, however the rest breaks.
    ``short``: the fence's non-comment lines short enough to parse one by one (:func:`_short_lines`).
    """
    if not any(_COMMENT_LINE.match(line) for line in body.splitlines()[:40]):
        return False
    for line in short:
        if _STATEMENT_LIKE.match(line) and "^" not in line and _line_is_statement(line):
            root = _python_parse(_with_body(line), MAX_SEGMENT_CHARS)[1]
            if not _writes_maths(root) and not all(_SINGLE_LETTER.fullmatch(name) for name in _bound_names(root) | _called_names(root)):
                return True
    return False


def _lines_pass_names_on(lines: list[str], n_lines: int) -> bool:
    """Three or more clean statement lines, at least half of ``n_lines``, a later one reading a name an earlier one binds, no maths."""
    clean = [line for line in lines if _STATEMENT_LIKE.match(line)]
    if len(clean) < 3 or 2 * len(clean) < n_lines:
        return False
    clean = [line for line in clean if _line_is_statement(line)]
    if len(clean) < 3 or 2 * len(clean) < n_lines:
        return False
    bound, flows = set(), False
    for line in clean:
        root = _python_parse(_with_body(line), MAX_SEGMENT_CHARS)[1]
        if _writes_maths(root) or _assigns_to_a_call(root):
            return False
        flows = flows or bool(_read_names(root) & bound)
        bound |= _bound_names(root)
    return flows and not all(_SINGLE_LETTER.fullmatch(name) for name in bound)


def _latex_line(line: str) -> bool:
    """A backslash outside any string literal (``\\frac``): LaTeX, not Python (and slow for the parser's recovery)."""
    return "\\" in line and "'" not in line and '"' not in line


def _has_a_statement_line(body: str, max_lines: int = 40) -> bool:
    """Line-by-line check for a Python fence whose whole parse failed.

    True when at least half of the non-comment lines parse on their own as executable
    statements, or one of them, writing no maths (``^``), parses cleanly as a statement,
    as an expression that calls something (``av(4, 2) == 4``) or as an expression with a
    comment after it (``44 // 7  # ...``): by the labelling convention a Python fence with
    one real statement is code, however the rest breaks.
    """
    lines = _non_comment_lines(body, max_lines)
    good = [line for line in lines if _line_is_statement(line)]
    if good and 2 * len(good) >= len(lines):
        return True
    return any("^" not in line for line in good) or any(
        _is_clean_call_line(line) or _is_commented_expression(line) for line in lines if "^" not in line)


def _is_python2_print(line: str) -> bool:
    """One line that parses without errors as a Python 2 print of a call or of several values (``print len(s)``, ``print x, "done"``).

    ``print the result`` is an error and ``print answer is 5`` prints one comparison: prose, not these.
    """
    if len(line) > _MAX_STATEMENT_LINE:
        return False
    root = _python_parse(line, MAX_SEGMENT_CHARS)[1]
    if root.has_error or len(root.children) != 1 or root.children[0].type != "print_statement":
        return False
    values = root.children[0].named_children
    return len(values) >= 2 or any(value.type == "call" for value in values)


def _is_clean_expression(line: str) -> bool:
    """One line that parses without errors as one expression (``print(*xs) + [1]``, ``44 // 7``), whatever its top node."""
    if len(line) > _MAX_STATEMENT_LINE:
        return False
    root = _python_parse(line, MAX_SEGMENT_CHARS)[1]
    return not root.has_error and len(root.children) == 1 and root.children[0].type == "expression_statement"


# The space and ``#`` that open a comment after code on the same line.
_TRAILING_COMMENT = re.compile(r"[ \t]\#")


def _is_commented_expression(line: str) -> bool:
    """A clean expression that computes, with a comment after it (``44 // 7  # 7 * 6 = 42``): a value a program shows, not maths.

    Only the expression is parsed (the comment may run long); maths (``^``) does not count.
    """
    comment = _TRAILING_COMMENT.search(line)
    if comment is None:
        return False
    expression = line[:comment.start()].rstrip()
    if not expression or "^" in expression or not _is_clean_expression(expression):
        return False
    root = _python_parse(expression, MAX_SEGMENT_CHARS)[1]
    return _computes(root) and not _writes_maths(root)


def _is_clean_call_line(line: str) -> bool:
    """One line that parses without errors as an expression holding a call (``print(f(2)) / 2``, ``av(4, 2) == 4``)."""
    if "(" not in line or len(line) > _MAX_STATEMENT_LINE:
        return False
    root = _python_parse(line, MAX_SEGMENT_CHARS)[1]
    if root.has_error or not root.children or root.children[0].type != "expression_statement":
        return False
    return any(node.type == "call" for node in _nodes(root.children[0])) and not _writes_maths(root)


def _line_is_statement(line: str) -> bool:
    """One line parses cleanly as an executable statement (a block header gets a body)."""
    evidence = _line_evidence(line)
    return evidence.n_statements >= 1 and evidence.error_share == 0.0


def _line_evidence(line: str) -> Evidence:
    """tree-sitter-python's evidence on one stripped line, a block header given a ``pass`` body."""
    return python_evidence(_with_body(line))


def _with_body(line: str) -> str:
    """One stripped line as a statement: a block header (``for n in s:``) given a ``pass`` body."""
    return line + " pass" if line.endswith(":") else line
