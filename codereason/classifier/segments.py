"""Split a response into candidate code segments.

Three kinds of segment, found with linear-time scans (never a parse of the
whole response):

- ``fenced``: the body of a Markdown fence (any tag; an unclosed fence runs to
  the end of the text, as truncated responses do);
- ``unfenced``: a run of consecutive code-like lines outside fences: two or
  more, or one that only code has (an import, a ``def``, a ``print(``...); or,
  in a response that writes Lean, a run of Lean tactic lines (tag ``lean``); or a
  run of Python prompt lines, ``>>> ...`` (tag ``pycon``);
- ``inline``: a single-backtick span outside fences.

A segment is a *candidate*; :mod:`codereason.classifier.verify` verifies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Iterator

from codereason.classifier import patterns

# Only this many characters of a segment are ever verified (bounded time).
MAX_SEGMENT_CHARS = 4000
# Only this many candidate segments of each kind are collected per response.
MAX_SEGMENTS = 256

# A code-like line start after a newline. The leading literal "\n" lets the
# regex engine skip to line breaks at memchr speed instead of trying every offset.
_CANDIDATE_LINE = re.compile(r"\n(?=[ \t]*+[A-Za-z_#@])(?=" + patterns.CODE_LINE_START.pattern + ")", re.VERBOSE)
# A stretch of prose holds a run only if it has a strong code line, or an assignment
# line followed by another or by a display line: one C-level search settles that for
# most prose before any line is looked at in Python.
_ASSIGNMENT = patterns.TARGET + r"[ \t]*+[-+*/%]?=(?!=)"
# Between an assignment and the line after it: up to three blank or ``#`` comment lines.
_BLANK_OR_COMMENT_LINES = r"(?:[ \t\r]*+\n|[ \t]*+\#[^\n]*+\n){0,3}"
_RUN_SIGN = (r"(?<![^\n])(?=[ \t]*+[A-Za-z_])(?:" + patterns.STRONG_CODE_LINE.pattern + "|" + patterns.LINE_START + _ASSIGNMENT + r"[^\n]*+\n" + _BLANK_OR_COMMENT_LINES + r"(?:[ \t]*+"
             + _ASSIGNMENT + "|" + patterns.DISPLAY_LINE.pattern + "))")
_RUN_SIGN_AFTER_NEWLINE = re.compile(r"\n" + _RUN_SIGN, re.VERBOSE | re.MULTILINE)
_RUN_SIGN_HERE = re.compile(_RUN_SIGN, re.VERBOSE | re.MULTILINE)
# A line that is a statement with a comment after it (``x = 198 // 8  # ...``): a run of its own too. Looked
# for apart from the run sign, and only in a stretch that holds a ``#`` (most prose holds none).
_COMMENTED_AFTER_NEWLINE = re.compile(r"\n(?=[ \t]*+[A-Za-z_])" + patterns.COMMENTED_STATEMENT.pattern)
# A display line right after a run, up to three blank or comment lines between.
_DISPLAY_AFTER = re.compile(r"\n" + _BLANK_OR_COMMENT_LINES + patterns.DISPLAY_LINE.pattern)
# A line opening with a Lean tactic or declaration: a quick test (the leading "\n" lets the
# regex engine skip from line break to line break) before the Lean hint's full regex.
_LEAN_LINE_START = re.compile(r"\n[ \t]*+(?:[·•.][ \t]++)?+(?=[a-z<])(?:n(?:linarith|orm_num|ative_decide)|l(?:inarith|emma)|s(?:imp)|"
                              r"o(?:mega|btain)|r(?:fl|ing_nf|cases|intro|efine)|d(?:ecide)|f(?:ield_simp)|p(?:ositivity)|"
                              r"a(?:esop)|i(?:nterval_cases)|e(?:xact)|t(?:heorem)|<;>)")


@dataclass(frozen=True)
class Segment:
    """A stretch of a response that may be code.

    Attributes:
        start: offset of the segment's first character in the response.
        end: offset one past its last character.
        style: ``fenced``, ``unfenced`` or ``inline``.
        tag: the fence's language tag, lower-cased ('' when none or not fenced).
        closed: False for a fence that never closes (a truncated response).
    """

    start: int
    end: int
    style: str
    tag: str = ""
    closed: bool = True


def split_segments(text: str, limit: int | None = None) -> tuple[list[Segment], list[tuple[int, int]]]:
    """Find fenced segments and the stretches of text outside them.

    With ``limit``, the scan stops after that many fences; the rest of the text
    is one last gap.

    Returns:
        ``(fences, gaps)``: fenced segments in order, and ``(start, end)`` of
        the text between them.

    >>> fences, gaps = split_segments("Hi\\n```python\\nx = 1\\n```\\nBye")
    >>> [(f.tag, "Hi\\n```python\\nx = 1\\n```\\nBye"[f.start:f.end]) for f in fences]
    [('python', 'x = 1\\n')]
    """
    fences: list[Segment] = []
    gaps: list[tuple[int, int]] = []
    outside_from = 0
    opening = _next_fence(text, 0)
    while opening is not None and (limit is None or len(fences) < limit):
        gaps.append((outside_from, opening[0]))
        tag_match = patterns.FENCE_TAG.match(text, opening[1])
        body_start = tag_match.end()
        if text.startswith("\n", body_start):
            body_start += 1
        closing = _next_fence(text, body_start)
        body_end = closing[0] if closing else len(text)
        fences.append(Segment(body_start, body_end, "fenced", tag_match.group(1).lower(), closing is not None))
        if closing is None:
            return fences, gaps
        outside_from = closing[1]
        opening = _next_fence(text, outside_from)
    gaps.append((outside_from, len(text)))
    return fences, gaps


def _next_fence(text: str, start: int) -> tuple[int, int] | None:
    """``(start, end)`` of the next run of 3+ backticks at or after ``start``, or None."""
    found = text.find("```", start)
    if found < 0:
        return None
    end = found + 3
    while end < len(text) and text[end] == "`":
        end += 1
    return found, end


def unfenced_runs(text: str, start: int, end: int) -> Iterator[Segment]:
    """Runs of consecutive code-like lines in ``text[start:end]``: two or more lines, or one strong line."""
    if not (_RUN_SIGN_HERE.match(text, start, end) or _RUN_SIGN_AFTER_NEWLINE.search(text, start, end)
            or text.find("#", start, end) >= 0 and (patterns.COMMENTED_STATEMENT.match(text, start, end)
                                                    or _COMMENTED_AFTER_NEWLINE.search(text, start, end))):
        return
    run_start = run_end = -1
    n_lines = depth = 0
    for line_start in _candidate_line_starts(text, start, end):
        if line_start <= run_end:  # a line the run took as a continuation inside its brackets
            continue
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        if run_start >= 0 and depth > 0 and not _only_blank(text, run_end, line_start):
            run_end, n_lines, depth = _through_open_brackets(text, run_end, end, n_lines, depth)
            if line_start <= run_end:
                continue
        if run_start >= 0 and _only_blank(text, run_end, line_start):
            run_end, n_lines, depth = line_end, n_lines + 1, depth + _bracket_depth(text, line_start, line_end)
            continue
        if run_start >= 0:
            yield from _run_segment(text, run_start, run_end, n_lines)
        run_start, run_end, n_lines, depth = line_start, line_end, 1, _bracket_depth(text, line_start, line_end)
    if run_start >= 0:
        yield from _run_segment(text, run_start, run_end, n_lines)


# A line that may continue an expression left open by the line before (indented, or opening with a
# bracket, quote, digit or sign): `image = np.array([[7, 1],` then `                 [3, 3]])`.
_CONTINUATION = re.compile(r"[ \t]|[\])}\[({'\"\d+\-.]")
# At most this many lines are taken to close a run's open brackets.
MAX_CONTINUATION_LINES = 20


def _bracket_depth(text: str, start: int, end: int) -> int:
    """Opening minus closing brackets in ``text[start:end]`` (strings not told apart: a rough count)."""
    return sum(text.count(b, start, end) for b in "([{") - sum(text.count(b, start, end) for b in ")]}")


def _through_open_brackets(text: str, run_end: int, end: int, n_lines: int, depth: int) -> tuple[int, int, int]:
    """``(run_end, n_lines, depth)`` after the lines that continue a run's open brackets.

    Lines that look like continuations (:data:`_CONTINUATION`) are taken until the brackets close,
    at most :data:`MAX_CONTINUATION_LINES`; if they do not close by then, nothing is taken.
    """
    position, taken, new_depth = run_end, 0, depth
    while new_depth > 0 and taken < MAX_CONTINUATION_LINES and position < end:
        line_start = position + 1
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        if line_start >= end or not text[line_start:line_end].strip() or not _CONTINUATION.match(text, line_start):
            break
        new_depth += _bracket_depth(text, line_start, line_end)
        position, taken = line_end, taken + 1
    if new_depth > 0:
        return run_end, n_lines, depth
    return position, n_lines + taken, new_depth


def _candidate_line_starts(text: str, start: int, end: int) -> Iterator[int]:
    """Offsets of code-like lines in ``text[start:end]`` (the first line included)."""
    first = text[start:start + 200].lstrip(" \t")
    if patterns.CODE_LINE_START.match(first):
        yield start
    for match in _CANDIDATE_LINE.finditer(text, start, end):
        yield match.start() + 1


def _only_blank(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is whitespace holding at most two line breaks."""
    gap = text[start:end]
    return not gap.strip() and gap.count("\n") <= 2


def _run_segment(text: str, start: int, end: int, n_lines: int) -> Iterator[Segment]:
    """The run as a segment (with a display line after it), when it has two lines or more, or one strong code line or commented statement."""
    display = _DISPLAY_AFTER.match(text, end)
    if display:
        end, n_lines = display.end(), n_lines + 1
    line = text[start:end].strip()
    if n_lines >= 2 or patterns.STRONG_CODE_LINE.match(line) or patterns.COMMENTED_STATEMENT.match(line):
        yield Segment(start, min(end, start + MAX_SEGMENT_CHARS), "unfenced")


# A Python prompt (``>>> `` or its continuation ``... ``) opening a line, after its indentation.
_PROMPT = re.compile(patterns.LINE_START + r"(?:>>>|\.\.\.)(?:[ \t]|$)", re.MULTILINE)


def repl_runs(text: str, start: int, end: int) -> Iterator[Segment]:
    """Runs of Python prompt lines (``>>> x = 15 - 8``) in ``text[start:end]`` (tag ``pycon``), at most two lines of output between."""
    if text.find(">>>", start, end) < 0:
        return
    run_start = run_end = -1
    since_prompt, offset = 0, start
    for line in text[start:end].splitlines(keepends=True):
        if _PROMPT.match(line):
            if run_start < 0:
                run_start = offset
            run_end, since_prompt = offset + len(line.rstrip()), 0
        elif run_start >= 0:
            since_prompt += 1
            if since_prompt > 2 or not line.strip():
                yield Segment(run_start, run_end, "unfenced", "pycon")
                run_start = -1
        offset += len(line)
    if run_start >= 0:
        yield Segment(run_start, run_end, "unfenced", "pycon")


def lean_runs(text: str, start: int, end: int) -> Iterator[Segment]:
    """Runs of Lean lines in ``text[start:end]`` (tag ``lean``), when that stretch writes Lean at all.

    A run is consecutive lines each a Lean step (:data:`patterns.LEAN_LINE`), a
    comment (``--`` or inside ``/- ... -/``) or a line indented deeper than the
    run's first; up to two blank lines may sit between. A run needs a step and
    two lines at least.
    """
    if patterns.LANGUAGE_HINTS["lean"].search(text, start, end) is None:
        return
    run = None  # [start, end, n_steps, n_lines, base indent]
    blanks, in_comment, offset = 0, False, start
    for line in text[start:end].splitlines(keepends=True):
        stripped = line.strip()
        kind, in_comment = _lean_line_kind(stripped, in_comment)
        depth = len(line) - len(line.lstrip())
        if kind == "blank":
            blanks += 1
        elif kind != "other" or (run is not None and depth > run[4]):
            if run is None or blanks > 2:
                yield from _lean_segment(run)
                run = [offset, offset, 0, 0, depth]
            run[1], run[2], run[3], blanks = offset + len(line.rstrip()), run[2] + (kind == "step"), run[3] + 1, 0
        elif run is not None:
            yield from _lean_segment(run)
            run = None
        offset += len(line)
    yield from _lean_segment(run)


def _lean_line_kind(stripped: str, in_comment: bool) -> tuple[str, bool]:
    """``(blank | step | comment | other, inside a block comment after this line)``."""
    if in_comment:
        return "comment", "-/" not in stripped
    if not stripped:
        return "blank", False
    if stripped.startswith("/-"):
        return "comment", "-/" not in stripped[2:]
    if stripped.startswith("--"):
        return "comment", False
    return ("step" if patterns.LEAN_LINE.match(stripped) else "other"), False


def _lean_segment(run: list | None) -> Iterator[Segment]:
    if run is not None and run[2] >= 1 and run[3] >= 2:
        yield Segment(run[0], min(run[1], run[0] + MAX_SEGMENT_CHARS), "unfenced", "lean")


# An inline assignment: code when the words before it name Python ("written in Python as `xyz = (a*x + b) / 2`").
_INLINE_ASSIGNMENT = re.compile(patterns.LINE_START + _ASSIGNMENT)


def _names_python_before(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` names Python, with no line break or backtick after the name."""
    window = text[start:end].lower()
    found = window.rfind("python")
    return found >= 0 and "\n" not in window[found:] and "`" not in window[found:]


def inline_spans(text: str, start: int, end: int) -> Iterator[Segment]:
    """Single-backtick spans in ``text[start:end]`` whose content looks like a statement or an augmented assignment, or calls a builtin or maths library."""
    if text.find("`", start, end) < 0:
        return
    for match in patterns.INLINE_CODE.finditer(text, start, end):
        content = match.group(1).strip()
        if (patterns.STRONG_CODE_LINE.match(content) or patterns.INLINE_LIBRARY_CALL.fullmatch(content)
                or patterns.AUGMENTED_ASSIGNMENT.fullmatch(content)
                or _INLINE_ASSIGNMENT.match(content) and _names_python_before(text, max(start, match.start() - 80), match.start())):
            yield Segment(match.start(1), match.end(1), "inline")


def candidate_segments(text: str, limit: int = MAX_SEGMENTS) -> tuple[list[Segment], list[Segment]]:
    """Fenced segments, and the unfenced and inline candidates outside fences.

    At most ``limit`` of each kind are returned (bounded work on adversarial text).
    """
    fences, gaps = split_segments(text, limit)
    outside: list[Segment] = []
    # Unfenced Lean is looked for only in responses without a Python fence (a fence tagged lean is
    # always checked as Lean): the search costs about a tenth of the classifier's time on Qwen outputs.
    writes_lean = not any(f.tag in patterns.PYTHON_TAGS for f in fences) and (
        ":= by" in text or _LEAN_LINE_START.match("\n" + text[:200].lstrip(" \t")) or _LEAN_LINE_START.search(text))
    for start, end in gaps:
        if end > start and len(outside) < limit:
            lean = list(islice(lean_runs(text, start, end), limit)) if writes_lean else []
            python = islice(unfenced_runs(text, start, end), limit)
            if lean:
                outside.extend(lean)
                outside.extend(run for run in python if not any(_overlap(run, other) for other in lean))
            else:
                outside.extend(python)
            outside.extend(islice(inline_spans(text, start, end), limit))
    if not fences and not outside:
        outside.extend(_one_line_program(text))
    return fences, outside[:limit]


# A response that is one assignment, or ``#`` comment lines and one assignment or display line.
_ONE_ASSIGNMENT = re.compile(r"\A[ \t\r\n]*+((?:\#[^\n]*+\n[ \t\r\n]*+)*+(?:" + _ASSIGNMENT + r"[^\n]*+|(?<=\n)"
                             + patterns.DISPLAY_LINE.pattern + r"))[ \t\r\n]*+\Z")


def _one_line_program(text: str) -> Iterator[Segment]:
    """A response that is one assignment line and nothing else (``ans = 45 - 30``), comments aside: a candidate run."""
    if len(text) <= 1000:
        match = _ONE_ASSIGNMENT.match(text)
        if match:
            yield Segment(match.start(1), match.end(1), "unfenced")


def _overlap(a: Segment, b: Segment) -> bool:
    return a.start < b.end and b.start < a.end
