"""Choose candidates for the held-out label set heldout3/programs.jsonl (seed 20261204).

This script only CHOOSES which responses to read; every label was given by a person
reading the text (see programs.md). It uses text features only (regexes, ``ast.parse``,
zlib), never the classifier, so the candidate list does not depend on the classifier's
version. It prints one JSON key per line (plus the stratum that chose it) to stdout;
no response text is written.

    CODEREASON_REALDATA=/work/shared/realdata .venv/bin/python \
        data/labels/heldout3/programs-select.py > /tmp/candidates.jsonl

Per source: about a third drawn at random, the rest from hard strata, round-robin over the
strata (each stratum's pool shuffled and interleaved over the source's files), a response
counted once. Keys already in data/labels/*.jsonl, data/labels/heldout/*.jsonl or
data/labels/heldout2/*.jsonl are excluded (Lean: any file already labelled is excluded whatever its
key form), and so is any unit whose text is identical (after strip) to an already labelled text of
the same source folder or to a unit drawn earlier in this run (duplicate programs, empty answers).

Adapted from heldout2/programs-select.py: new seed and targets, the exclusion above, and one more
MathCoder stratum (X_text_codelike: a text-role message with a code-like line) so that text-role
messages holding code-like lines are drawn; for MathCoder code-role messages the stratum
C_codeline_outside_fence is dropped (every code message is code lines, so it chose nothing hard), which
leaves C to text-role messages as well.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import random
import re
import sys
import zlib
from pathlib import Path

SEED = 20261204
ROOT = Path(os.environ.get("CODEREASON_REALDATA", "/work/shared/realdata"))
LABELS = Path(__file__).resolve().parent.parent

TARGETS = {  # source folder -> number of candidates
    "theoremqa-pot-cot-multimodel": 25,
    "mathcoder-tir-roles": 20,
    "pot-codex-gsm8k-aqua": 15,
    "pal-codex-aqua": 5,
    "lean-provers-minif2f": 6,
    "tora-gsm8k-tir": 6,
    "qwen25-math-7b-harness": 15,
    "spurious-1p5b-gt-steps": 12,
    "cs336-grpo-qwen1p5b-rollouts": 8,
    "qwen25-math-instruct-maj8-math100": 6,
}

POT_POINTERS = {"gsm8K_s0": "/generated/0", "svamp_s0": "/generated/0", "gsm8K_zs_s0": "/generated",
                "multiarith_zs_s0": "/generated", "aqua_s0": "/generated", "aqua_gpt4_s0": "/rationale"}


# ---------------------------------------------------------------- units (key, file group, text)

def jsonl_docs(path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                yield number, json.loads(line)


def pointer_units():
    for path in sorted(glob.glob(str(ROOT / "theoremqa-pot-cot-multimodel/outputs/*.jsonl"))):
        for record, doc in jsonl_docs(path):
            if isinstance(doc.get("rationale"), str):
                yield path, record, "/rationale", doc["rationale"], None
    for path in sorted(glob.glob(str(ROOT / "pot-codex-gsm8k-aqua/outputs/*.jsonl"))):
        name = Path(path).name
        pointer = next(p for prefix, p in POT_POINTERS.items() if name.startswith(prefix + "_e"))
        for record, doc in jsonl_docs(path):
            value = doc.get(pointer.split("/")[1])
            if pointer.endswith("/0") and isinstance(value, list) and value and isinstance(value[0], str):
                yield path, record, pointer, value[0], None
            elif not pointer.endswith("/0") and isinstance(value, str):
                yield path, record, pointer, value, None
    for record, doc in jsonl_docs(ROOT / "pal-codex-aqua/aqua_pal_outputs.jsonl"):
        yield str(ROOT / "pal-codex-aqua/aqua_pal_outputs.jsonl"), record, "/generated_answer", doc["generated_answer"], None
    for path in sorted(glob.glob(str(ROOT / "mathcoder-tir-roles/outs/*/*/*.jsonl"))):
        for record, doc in jsonl_docs(path):
            for j, message in enumerate(doc.get("debug_result") or []):
                if message.get("role") in ("code", "text") and isinstance(message.get("content"), str):
                    yield path, record, f"/debug_result/{j}/content", message["content"], message["role"]
    for path in sorted(glob.glob(str(ROOT / "lean-provers-minif2f/data/proofs_miniF2F-test/*/*/*.txt"))):
        yield path, None, "", Path(path).read_text(encoding="utf-8"), None


def classic_units():
    from codereason.io import read_rows
    patterns = ["tora-gsm8k-tir/*/gsm8k/*.jsonl", "qwen25-math-7b-harness/Qwen2.5-Math-7B/*/*.jsonl",
                "spurious-1p5b-gt-steps/results/*/*.json", "cs336-grpo-qwen1p5b-rollouts/*/*/sample_rollouts.jsonl",
                "qwen25-math-instruct-maj8-math100/math_cot_100.jsonl"]
    for pattern in patterns:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            for row in read_rows(path):
                prov = row["provenance"]
                record = prov.get("record", prov.get("line", 1) - 1)
                yield path, record, prov.get("sample", 0), row["response"]


def file_group(rel: str) -> str:
    """The sub-file a unit belongs to, for spreading a stratum's draws."""
    parts = rel.split("/")
    if parts[0] == "lean-provers-minif2f":
        return parts[-2]  # model
    if parts[0] == "cs336-grpo-qwen1p5b-rollouts":
        return parts[1]  # run
    if parts[0] == "mathcoder-tir-roles":
        return parts[2]
    return parts[-1]


# ---------------------------------------------------------------- text features (selection only)

FENCE = re.compile(r"```([^\n`]*)")
CODE_LINE = re.compile(
    r"^\s*(?:[A-Za-z_]\w*(?:\[[^\]\n]*\])?\s*[-+*/]?=\s*[^=\s]|def \w+\s*\(|class \w+|print\s*\(|import \w|"
    r"from [\w.]+ import|for \w+(?:, ?\w+)* in |while .*:\s*$|return\b|if .*:\s*$|elif |else:\s*$)")
FORMULA = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*.*(?:sqrt\(|\^|\bC\(\d|\bP\(\d|Σ|√|\bln\(|\be\^)")


def split_fences(text):
    """(outside-fence text, [(tag, body), ...], unbalanced)."""
    pieces = text.split("```")
    outside, blocks = [], []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            outside.append(piece)
        else:
            tag, _, body = piece.partition("\n")
            blocks.append((tag.strip().lower(), body))
    return "\n".join(outside), blocks, len(pieces) % 2 == 0


def statements(source):
    try:
        return ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def code_lines(text):
    return [line for line in text.splitlines() if CODE_LINE.match(line)]


def strata_of(rel, text, unfenced_program_source):
    outside, blocks, unbalanced = split_fences(text)
    tags = [tag for tag, _ in blocks]
    python_bodies = [body for tag, body in blocks if tag in ("python", "py", "python3")]
    out = set()
    lower = text.lower()
    if code_lines(outside):
        out.add("C_codeline_outside_fence")
    if any(tag not in ("python", "output", "") for tag in tags) or any(tag == "" and body.strip() for tag, body in blocks):
        out.add("F_odd_or_missing_fence_tag")
    if unbalanced:
        out.add("F2_unbalanced_fence")
    if any(FORMULA.match(line) for line in text.splitlines()):
        out.add("M_formula_like_code")
    if "python" in lower and "```python" not in lower:
        out.add("P_python_mention_no_fence")
    # the program(s) to look at: python fences, else the whole text for unfenced program sources
    programs = python_bodies or ([text] if unfenced_program_source else [])
    for program in programs:
        body = statements(program)
        meaningful = [l for l in program.splitlines() if l.strip() and not l.strip().startswith("#")]
        if body is None:
            if meaningful:
                out.add("S_syntax_broken")
            continue
        simple = (ast.Assign, ast.AugAssign, ast.AnnAssign)
        if body and all(isinstance(s, simple) or (isinstance(s, ast.Expr) and not isinstance(s.value, ast.Call))
                        for s in body):
            out.add("A_assignment_only")
        if len(body) <= 1:
            out.add("O_one_statement")
    if python_bodies and not python_bodies[-1].strip().endswith(("\n", ")", "]")) and text.rstrip().endswith(
            tuple("(,[{=+-*/")):
        out.add("T_truncated")
    if unbalanced and python_bodies and "```" not in text.rsplit("```python", 1)[-1]:
        out.add("T_truncated")
    if unfenced_program_source and text.rstrip().endswith(tuple("(,[{=+-*/:")):
        out.add("T_truncated")
    if rel.startswith("lean-provers-minif2f"):
        out -= {"S_syntax_broken", "A_assignment_only", "O_one_statement"}  # Python parse says nothing about Lean
        if "```lean" in text:
            out.add("L_lean_fence")
        if len(text) > 500 and len(zlib.compress(text.encode())) / len(text.encode()) < 0.12:
            out.add("L_repetition")
        last = text.rsplit("```", 1)
        if len(last) == 2 and len(last[1].strip()) > 200:
            out.add("L_prose_after_fence")
        if len(text.strip()) < 250:
            out.add("L_short")
        if "sorry" in text or "</think>" in text:
            out.add("L_sorry_or_think")
    return out


# ---------------------------------------------------------------- existing keys

def existing_keys():
    keys, lean_files = set(), set()
    for path in sorted(glob.glob(str(LABELS / "*.jsonl")) + glob.glob(str(LABELS / "heldout" / "*.jsonl"))
                       + glob.glob(str(LABELS / "heldout2" / "*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                keys.add((row["source"], row["record"], row["sample"], row.get("pointer")))
                if row["source"].startswith("lean-provers-minif2f"):
                    lean_files.add(row["source"])
    return keys, lean_files


def interleave(pool, rng):
    """Shuffle a pool and interleave it over its file groups (file order shuffled too)."""
    groups = {}
    for unit in pool:
        groups.setdefault(unit["group"], []).append(unit)
    names = sorted(groups)
    rng.shuffle(names)
    for name in names:
        rng.shuffle(groups[name])
    out = []
    while any(groups.values()):
        for name in names:
            if groups[name]:
                out.append(groups[name].pop())
    return out


def main():
    rng = random.Random(SEED)
    taken, lean_files = existing_keys()
    units = {}
    for path, record, pointer, text, role in pointer_units():
        rel = os.path.relpath(path, ROOT)
        units.setdefault(rel.split("/")[0], []).append(
            {"source": rel, "record": record, "sample": 0, "pointer": pointer, "text": text, "role": role})
    for path, record, sample, text in classic_units():
        rel = os.path.relpath(path, ROOT)
        units.setdefault(rel.split("/")[0], []).append(
            {"source": rel, "record": record, "sample": sample, "pointer": None, "text": text, "role": None})
    chosen = []
    for folder, target in TARGETS.items():
        pool = []
        seen_texts = {folder: {(zlib.crc32(u["text"].strip().encode()), len(u["text"].strip()))
                               for u in units[folder]
                               if (u["source"], u["record"], u["sample"], u["pointer"]) in taken
                               or u["source"] in lean_files}}
        for unit in units[folder]:
            key = (unit["source"], unit["record"], unit["sample"], unit["pointer"])
            if key in taken or unit["source"] in lean_files:
                continue
            unfenced = folder in ("pot-codex-gsm8k-aqua", "pal-codex-aqua", "lean-provers-minif2f") or (
                folder == "theoremqa-pot-cot-multimodel" and "_PoT_" in unit["source"]) or (
                unit["role"] == "code")  # MathCoder: code-role messages are unfenced programs
            unit["group"] = file_group(unit["source"])
            unit["strata"] = strata_of(unit["source"], unit["text"], unfenced)
            if unit["role"]:
                unit["strata"].add("K_role_" + unit["role"])  # MathCoder: draw both roles
                if unit["role"] == "text" and code_lines(unit["text"]):
                    unit["strata"].add("X_text_codelike")
                if unit["role"] == "code":  # a code message is all "code-like lines": the stratum says nothing
                    unit["strata"].discard("C_codeline_outside_fence")
            text_id = zlib.crc32(unit["text"].strip().encode()), len(unit["text"].strip())
            if text_id in seen_texts.setdefault(folder, set()):
                continue  # same text as an already labelled unit or an earlier unit
            seen_texts[folder].add(text_id)
            pool.append(unit)
        pools = {}
        for unit in pool:
            for name in unit["strata"]:
                pools.setdefault(name, []).append(unit)
        order = sorted(pools)
        rng.shuffle(order)
        queues = {name: interleave(pools[name], rng) for name in order}
        n_random = round(target / 3)
        picked, seen = [], set()
        while len(picked) < target - n_random and any(queues.values()):
            for name in order:
                while queues[name]:
                    unit = queues[name].pop(0)
                    ident = id(unit)
                    if ident not in seen:
                        seen.add(ident)
                        picked.append((name, unit))
                        break
                if len(picked) >= target - n_random:
                    break
        rest = [u for u in interleave(pool, rng) if id(u) not in seen]
        picked += [("R_random", u) for u in rest[:target - len(picked)]]
        sizes = {name: len(pools[name]) for name in sorted(pools)}
        print(json.dumps({"folder": folder, "units": len(pool), "stratum_sizes": sizes}), file=sys.stderr)
        for name, unit in picked:
            key = {"source": unit["source"], "record": unit["record"], "sample": unit["sample"]}
            if unit["pointer"] is not None:
                key["pointer"] = unit["pointer"]
            chosen.append({**key, "stratum": name, "strata": sorted(unit["strata"])})
    for row in chosen:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
