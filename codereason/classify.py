"""Tag a response as code reasoning or natural language.

Modes:

- ``ast`` (default): candidate segments (:mod:`codereason.segments`) are
  verified with tree-sitter-python (statement kinds, share of bytes in error
  nodes) or, for fences tagged with another language, by that language's syntax.
- ``paper``: the rule of Shao et al. (2025), ``"python" in response.lower()``.
- ``learned``: the shipped learned model (``classifiers/learned-v1/weights.json``,
  loaded once, on first use) decides from the segment features; the evidence
  fields (spans, style, language) are still the ``ast`` ones.

``classify`` accepts any ``str``, never raises on its content, and runs in time
linear in the text (segments are capped at :data:`segments.MAX_SEGMENT_CHARS`).

>>> classify("```python\\nx = 2 + 3\\nprint(x)\\n```").code_reasoning
True
>>> classify("We could use Python, but 2 + 3 = 5.").code_reasoning
False
>>> classify("We could use Python, but 2 + 3 = 5.", mode="paper").code_reasoning
True
"""

from __future__ import annotations

import gc
import multiprocessing
import re
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from codereason import patterns
from codereason.errors import ConfigError, WorkerError
from codereason.records import CodeLabel
from codereason.segments import MAX_SEGMENT_CHARS, MAX_SEGMENTS, Segment, candidate_segments
from codereason.workers import leave_interrupts_to_parent, resolve_jobs, worker_context

MODES = ("ast", "paper", "learned")
RULES_VERSION = "rules-v1"
T = TypeVar("T")  # an item of a batch (classify_batches)

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


_START = attrgetter("start")


def load_classifier(mode: str) -> None:
    """Build the parser (and load a learned model) in this process, e.g. once before forking workers."""
    classify("```python\nx = 1\n```", mode)


def classify(text: str, mode: str = "ast") -> CodeLabel:
    """Label one response.

    Args:
        text: the response (any string).
        mode: ``ast`` (segments verified by tree-sitter), ``paper`` or ``learned``.

    Returns:
        A frozen :class:`~codereason.records.CodeLabel`.

    Raises:
        ConfigError: ``mode`` is not one of :data:`MODES`.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    lowered = text.lower()
    paper_code = "python" in lowered
    fences, outside = candidate_segments(text)
    has_output_block = any(f.tag in patterns.OUTPUT_TAGS for f in fences)
    candidates = sorted((*fences, *outside), key=_START)[:MAX_SEGMENTS]
    code = [(s, lang) for s in candidates if (lang := verify_segment(text, s))]
    first = code[0] if code else None
    return CodeLabel(
        code_reasoning=paper_code if mode == "paper" else _learned_code(text) if mode == "learned" else bool(code),
        code_style=first[0].style if first else None,
        code_language=first[1] if first else None,
        code_spans=tuple((s.start, s.end) for s, _ in code),
        n_code_lines=sum(_count_lines(text, s) for s, _ in code),
        mentions_python=paper_code,
        has_output_block=has_output_block,
        paper_code=paper_code,
        mode=mode,
    )


def _learned_code(text: str) -> bool:
    """The learned model's verdict (scikit-learn and the weights load on the first call only)."""
    from codereason.estimator import default_learned_model

    return default_learned_model().predict_code(text)


def _count_lines(text: str, segment: Segment) -> int:
    """Non-blank lines in a segment."""
    return sum(map(bool, map(str.strip, text[segment.start:segment.end].splitlines())))


def classify_many(texts: Iterable[str], mode: str = "ast", n_jobs: int = 1) -> list[CodeLabel]:
    """Label many responses, optionally in ``n_jobs`` processes.

    With ``n_jobs > 1`` on a platform that forks (Linux, macOS), this process
    forks ``n_jobs - 1`` children and labels alongside them, so ``n_jobs``
    processes work and none waits idle. Each process takes the next chunk of
    responses from a shared counter until none is left (long and short
    responses even out); the children inherit the texts, and only their
    labels travel back, through a pipe, once at the end. Elsewhere a spawned
    pool labels the texts. Inputs under :data:`MIN_TEXTS_PER_JOB` responses
    per process run in this process.

    Args:
        texts: the responses.
        mode: as for :func:`classify`.
        n_jobs: processes (1 = this one only; -1 = one per core).

    Raises:
        WorkerError: a child died before returning its labels (e.g. killed
            for memory); nothing is returned half-labelled.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    texts = list(texts)
    n_jobs = min(resolve_jobs(n_jobs), max(1, len(texts) // MIN_TEXTS_PER_JOB))
    if n_jobs == 1 or multiprocessing.current_process().daemon:  # daemons may not have children
        return [classify(text, mode) for text in texts]
    if "fork" in multiprocessing.get_all_start_methods():
        return _classify_forked(texts, mode, n_jobs)
    with multiprocessing.get_context("spawn").Pool(n_jobs) as pool:
        return pool.map(partial(classify, mode=mode), texts, chunksize=max(1, len(texts) // (4 * n_jobs)))


# Below this many responses per process, forking costs more than it saves.
MIN_TEXTS_PER_JOB = 64

# The texts of the running classify_many call, inherited by its forked children.
_FORKED_TEXTS: list[str] = []

# Labels of consecutive texts from one process: (index of the first text, labels).
_Chunk = tuple[int, list[CodeLabel]]


def _classify_forked(texts: list[str], mode: str, n_jobs: int) -> list[CodeLabel]:
    """Label ``texts`` in this process and ``n_jobs - 1`` forked children, chunk by chunk.

    Children send each chunk's labels as soon as it is done, and this process
    takes them in between its own chunks: unpickling them is then shared out
    by the same counter as the labelling, instead of waiting at the end.
    """
    global _FORKED_TEXTS
    _FORKED_TEXTS = texts
    load_classifier(mode)  # once, for all
    context = multiprocessing.get_context("fork")
    next_start = context.Value("q", 0)  # index of the first text no process has taken yet
    chunk_size = max(16, min(512, len(texts) // (32 * n_jobs)))
    children, chunks = [], []
    try:
        for _ in range(1, n_jobs):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=_classify_in_child, args=(sender, next_start, chunk_size, mode), daemon=True)
            child.start()
            sender.close()
            children.append(_Child(child, receiver))

        def keep_and_take_in(chunk: _Chunk) -> None:
            chunks.append(chunk)
            for child in children:
                chunks.extend(child.ready_chunks())

        _classify_chunks(next_start, chunk_size, mode, keep_and_take_in)
        for child in children:
            chunks.extend(child.remaining_chunks())
    finally:
        _FORKED_TEXTS = []
        for child in children:
            child.stop()
    labels: list = [None] * len(texts)
    for start, chunk_labels in chunks:
        labels[start:start + len(chunk_labels)] = chunk_labels
    return labels


def _classify_chunks(next_start, chunk_size: int, mode: str, deliver: Callable[[_Chunk], None]) -> None:
    """Take chunks of ``_FORKED_TEXTS`` off the shared counter, label each and ``deliver`` it, until none is left."""
    while True:
        with next_start.get_lock():
            start = next_start.value
            next_start.value = start + chunk_size
        if start >= len(_FORKED_TEXTS):
            return
        deliver((start, [classify(text, mode) for text in _FORKED_TEXTS[start:start + chunk_size]]))


def _classify_in_child(sender, next_start, chunk_size: int, mode: str) -> None:
    """A forked child's work: label chunks and send each one back, then None to say it is done."""
    gc.freeze()  # the collector leaves the inherited objects alone (no copy-on-write of their pages)
    leave_interrupts_to_parent()
    with sender:
        _classify_chunks(next_start, chunk_size, mode, sender.send)
        sender.send(None)


class _Child:
    """A forked labelling child and the pipe its chunks come through."""

    def __init__(self, process, receiver):
        self.process, self.receiver, self.done = process, receiver, False

    def ready_chunks(self) -> list[_Chunk]:
        """The chunks already sent, without waiting."""
        chunks = []
        while not self.done and self.receiver.poll():
            chunks.extend(self._receive())
        return chunks

    def remaining_chunks(self) -> list[_Chunk]:
        """Every chunk still to come (waits for the child to finish)."""
        chunks = []
        while not self.done:
            chunks.extend(self._receive())
        return chunks

    def _receive(self) -> list[_Chunk]:
        try:
            chunk = self.receiver.recv()
        except EOFError:
            self.process.join()
            raise WorkerError(
                f"a classifier worker process (pid {self.process.pid}) exited with code {self.process.exitcode} "
                "before returning its labels (killed for memory?); retry with fewer jobs (-j 1 labels in this process)"
            ) from None
        self.done = chunk is None
        return [] if chunk is None else [chunk]

    def stop(self) -> None:
        self.receiver.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def classify_batches(
    batches: Iterable[Sequence[T]], mode: str = "ast", n_jobs: int = 1, text: Callable[[T], str] = str,
) -> Iterator[tuple[Sequence[T], list[CodeLabel]]]:
    """Label a stream of batches, yielding ``(batch, labels)`` in input order.

    For pipelines that read, label and write at once (``codereason tag``):
    with ``n_jobs > 1`` a pool of ``n_jobs`` worker processes labels batches
    while this process reads the next ones and handles finished ones. At
    most ``2 * n_jobs + 1`` batches are in flight, so memory stays bounded
    however long the stream.

    Args:
        batches: lists of items, e.g. rollout rows.
        mode: as for :func:`classify`.
        n_jobs: worker processes (1 = label in this process; -1 = one per core).
        text: how to get the response out of an item (default: the item is the text).
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    n_jobs = resolve_jobs(n_jobs)
    if n_jobs == 1 or multiprocessing.current_process().daemon:
        for batch in batches:
            yield batch, [classify(text(item), mode) for item in batch]
        return
    load_classifier(mode)  # before the workers fork
    in_flight: deque = deque()
    pool = ProcessPoolExecutor(n_jobs, mp_context=worker_context(), initializer=leave_interrupts_to_parent)
    try:
        for batch in batches:
            in_flight.append((batch, pool.submit(_classify_list, [text(item) for item in batch], mode)))
            if len(in_flight) > 2 * n_jobs:
                yield _finished(*in_flight.popleft())
        while in_flight:
            yield _finished(*in_flight.popleft())
    finally:  # also on Ctrl-C or when the caller stops early: drop the batches not started
        pool.shutdown(wait=True, cancel_futures=True)


def _finished(batch: Sequence[T], labels: Future) -> tuple[Sequence[T], list[CodeLabel]]:
    """A batch and its labels once its worker is done, or :class:`WorkerError` if a worker died."""
    try:
        return batch, labels.result()
    except BrokenProcessPool:
        raise WorkerError(
            "a classifier worker process died (killed for memory?); retry with fewer jobs (-j 1 labels in this process)"
        ) from None


def _classify_list(texts: list[str], mode: str) -> list[CodeLabel]:
    """Worker side of :func:`classify_batches`."""
    return [classify(text, mode) for text in texts]


__all__: Sequence[str] = (
    "MODES", "RULES_VERSION", "classify", "classify_batches", "classify_many", "python_evidence", "verify_segment",
)
