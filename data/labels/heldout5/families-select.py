"""Choose candidates for the held-out label set heldout5/families.jsonl (seed 20261213).

This script only CHOOSES which responses to read; every label was given by a person reading
the text (see families.md). Text rules only (regexes, ``ast.parse``, zlib); the codereason
classifier is never imported or called (``codereason.io.read_rows`` is used only to number the
classic-key responses exactly as attach_texts does). It prints one JSON key per line (with the
stratum that chose it) to stdout and a per-source summary to stderr; no response text is written.

    CODEREASON_REALDATA=/work/shared/realdata .venv/bin/python data/labels/heldout5/families-select.py > /tmp/h5-candidates.jsonl

A copy of heldout4/realdata-select.py restricted to eleven sources (the classic-key harness folders and
the model families), with random.Random(20261213) and new targets; strata, key forms and the drawing are
unchanged. Per source (in TARGETS order, one seeded stream): strata of at most RARE units are taken whole
first, then round-robin over the shuffled hard strata (pools interleaved over the source's files) until
target minus a third, then the rest at random. A unit is counted once, under the stratum that drew it.

Excluded before drawing: every (source, record, sample, pointer) in data/labels/*.jsonl and
data/labels/heldout*/*.jsonl (heldout4 included; heldout5 itself skipped, so the output does not depend
on the other heldout5 files being written at the same time), and every unit whose stripped text equals an
already labelled text of the same folder or an earlier unit of the same folder.
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

SEED = 20261213
RARE = 2
ROOT = Path(os.environ.get("CODEREASON_REALDATA", "/work/shared/realdata"))
LABELS = Path(__file__).resolve().parent.parent
# The label sets that existed when this one was drawn (later sets must not change a rerun).
EARLIER_SETS = ('heldout', 'heldout2', 'heldout3', 'heldout4')

TARGETS = {
    "qwen25-math-7b-harness": 16,
    "spurious-1p5b-gt-steps": 12,
    "cs336-grpo-qwen1p5b-rollouts": 6,
    "qwen25-math-instruct-maj8-math100": 4,
    "justrl-smollm-360m-aime25": 25,
    "justrl-qwen25-0p5b-gsm8k": 12,
    "olmo2-1b-gsm8k-baseline": 10,
    "thinking-hybrid-r1distill-qwq": 8,
    "llama3-8b-gsm8k-cs336-2024": 3,
    "skythought-results-json": 2,
    "lmeval-samples-truthfulqa-neo125m": 2,
}

def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def jsonl_docs(path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                yield number, json.loads(line)


def unit(path, record, text, pointer=None, sample=0, role=None, prompt=""):
    return {"source": os.path.relpath(path, ROOT), "record": record, "sample": sample, "pointer": pointer,
            "text": text, "role": role, "prompt": prompt or ""}


def all_units():
    from codereason.io import read_rows  # reader only (numbering of classic keys), not the classifier
    for pattern in ["qwen25-math-7b-harness/Qwen2.5-Math-7B/*/*.jsonl",
                    "spurious-1p5b-gt-steps/results/*/*.json", "cs336-grpo-qwen1p5b-rollouts/*/*/sample_rollouts.jsonl",
                    "qwen25-math-instruct-maj8-math100/math_cot_100.jsonl"]:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            for row in read_rows(path):
                prov = row["provenance"]
                yield unit(path, prov.get("record", prov.get("line", 1) - 1), row["response"], sample=prov.get("sample", 0))
    for p in ("question_only", "r1_zero", "r1_zero_three_shot_gsm8k"):
        path = ROOT / f"olmo2-1b-gsm8k-baseline/out/baseline_completions_{p}_test.jsonl"
        for record, doc in jsonl_docs(path):
            yield unit(path, record, doc["completion"]["text"], "/completion/text")
    path = ROOT / "justrl-smollm-360m-aime25/aime25_t0.7_p0.9_n32-MNT31744.jsonl"
    for record, doc in jsonl_docs(path):
        yield unit(path, record, doc["response"], "/response", prompt=doc.get("prompt"))
    path = ROOT / "justrl-qwen25-0p5b-gsm8k/gsm8k_t0.7_p0.9_n1-MNT1024.jsonl"
    for record, doc in jsonl_docs(path):
        yield unit(path, record, doc["response"], "/response", prompt=doc.get("question"))
    for path in sorted(glob.glob(str(ROOT / "thinking-hybrid-r1distill-qwq/hybrid/results/*.json"))):
        doc = json.load(open(path, encoding="utf-8"))
        for i, task in enumerate(doc["tasks"]):
            for role, text in task["model_answers"].items():
                if isinstance(text, str):
                    yield unit(path, None, text, f"/tasks/{i}/model_answers/{role}", prompt=task.get("question"))
    path = ROOT / "llama3-8b-gsm8k-cs336-2024/eval_results/eval_results.jsonl"
    for record, doc in jsonl_docs(path):
        yield unit(path, record, doc["model_response"], "/model_response")
    path = ROOT / "skythought-results-json/Qwen2.5-32B-Instruct_MATH500_test_None_0_-1_still2_sys_zero.json"
    for problem, entry in json.load(open(path, encoding="utf-8")).items():
        for temp, resp in entry["responses"].items():
            yield unit(path, None, resp["content"], f"/{escape(problem)}/responses/{escape(temp)}/content", prompt=problem)
    path = ROOT / "lmeval-samples-truthfulqa-neo125m/samples_truthfulqa_gen_2025-05-31T13-51-32.759677.jsonl"
    for record, doc in jsonl_docs(path):
        yield unit(path, record, doc["resps"][0][0], "/resps/0/0")


def file_group(rel):
    parts = rel.split("/")
    if parts[0] == "lean-provers-minif2f":
        return parts[-2]
    if parts[0] == "cs336-grpo-qwen1p5b-rollouts":
        return parts[1]
    if parts[0] == "mathcoder-tir-roles":
        return parts[2]
    return parts[-1]


# ---------------------------------------------------------------- text features (selection only)

CODE_LINE = re.compile(
    r"^\s*(?:[A-Za-z_]\w*(?:\[[^\]\n]*\])?\s*[-+*/]?=\s*[^=\s]|def \w+\s*\(|class \w+|print\s*\(|import \w|"
    r"from [\w.]+ import|for \w+(?:, ?\w+)* in |while .*:\s*$|return\b|if .*:\s*$|elif |else:\s*$)")
FORMULA = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*.*(?:sqrt\(|\^|\bC\(\d|\bP\(\d|Σ|√|\bln\(|\be\^)")
PY2_PRINT = re.compile(r"^\s*print\s+[\"'A-Za-z_]", re.M)
WEB_JUNK = re.compile(r"<(?:div|span|script|a |p>|br|table|td|li)|https?://|\{\{|\{%|&nbsp;|function\s*\(|var \w+ =|\$\(", re.I)
STATEMENT = re.compile(r"(\bimport [\w.]+|^\s*print[ (]|\bdef \w+\(|\blambda \w*:|console\.log|System\.out|#include|"
                       r"\bfor \w+ in range\(|;\s*$)", re.M)
LATEX_DISPLAY = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}|\$[^$\n]*\$", re.S)
PROGRAM_FOLDERS = ("pot-codex-gsm8k-aqua", "pal-codex-aqua", "lean-provers-minif2f")


def split_fences(text):
    pieces = text.split("```")
    outside, blocks = [], []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            outside.append(piece)
        else:
            tag, _, body = piece.partition("\n")
            blocks.append((tag.strip().lower(), body))
    return "\n".join(outside), blocks, len(pieces) % 2 == 0


def parse(source):
    try:
        return ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def ast_statement_line(text):
    outside = LATEX_DISPLAY.sub(" ", re.sub(r"```.*?```", "", text, flags=re.S))
    for line in outside.splitlines():
        line = line.strip()
        if not 5 <= len(line) <= 200:
            continue
        body = parse(line)
        for node in body or []:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                return True
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and len(t.id) >= 2 for t in node.targets):
                return True
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
                    and node.value.func.id in ("print", "range", "len", "sum"):
                return True
    return False


def squash(text):
    return re.sub(r"\s+", "", text)


def asy_not_in_prompt(text, prompt):
    flat = squash(prompt)
    for block in re.findall(r"\[asy\](.*?)(?:\[/asy\]|$)", text, re.S):
        head = squash(block)[:40]
        if head and head not in flat:
            return True
    return False


def strata_of(u, folder):
    text = u["text"]
    outside, blocks, unbalanced = split_fences(text)
    tags = [tag for tag, _ in blocks]
    python_bodies = [body for tag, body in blocks if tag in ("python", "py", "python3")]
    unfenced = folder in PROGRAM_FOLDERS or (folder == "theoremqa-pot-cot-multimodel" and "_PoT_" in u["source"]) \
        or u["role"] == "code"
    out = set()
    lower = text.lower()
    if u["role"] != "code" and [l for l in outside.splitlines() if CODE_LINE.match(l)]:
        out.add("C_codeline_outside_fence")
    if any(tag not in ("python", "output", "") for tag in tags) or any(tag == "" and body.strip() for tag, body in blocks):
        out.add("F_odd_or_missing_fence_tag")
    if unbalanced:
        out.add("F2_unbalanced_fence")
    if any(FORMULA.match(line) for line in text.splitlines()):
        out.add("M_formula_like_code")
    if "python" in lower and "```python" not in lower:
        out.add("P_python_mention_no_fence")
    if not unfenced and ast_statement_line(text):
        out.add("X_ast_statement_line")
    if PY2_PRINT.search(outside):
        out.add("Y_python2_print")
    if "[asy]" in text:
        out.add("Z_asy_not_in_prompt" if asy_not_in_prompt(text, u["prompt"]) else "Z_asy_in_prompt")
    if WEB_JUNK.search(text) and not unfenced:
        out.add("W_web_junk")
    if not unfenced and "```python" not in text:
        flat = squash(u["prompt"])
        for m in STATEMENT.finditer(outside):
            end = outside.find("\n", m.start())
            line = outside[outside.rfind("\n", 0, m.start()) + 1:end if end > 0 else len(outside)]
            if squash(line)[:30] and squash(line)[:30] not in flat:
                out.add("V_statement_token_outside_fence")
                break
    raw = text.encode()
    if len(raw) > 2000 and len(zlib.compress(raw)) / len(raw) < 0.15:
        out.add("D_degenerate_repetition")
    if not text.strip():
        out.add("E_empty")
    programs = python_bodies or ([text] if unfenced else [])
    for program in programs:
        body = parse(program)
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
        if len(meaningful) <= 2:
            out.add("K_short_program")
    if python_bodies and text.rstrip().endswith(tuple("(,[{=+-*/")):
        out.add("T_truncated")
    if unbalanced and python_bodies and "```" not in text.rsplit("```python", 1)[-1]:
        out.add("T_truncated")
    if unfenced and text.rstrip().endswith(tuple("(,[{=+-*/:")):
        out.add("T_truncated")
    if folder == "lean-provers-minif2f":
        out -= {"S_syntax_broken", "A_assignment_only", "O_one_statement", "K_short_program", "M_formula_like_code"}
        if "```lean" in text:
            out.add("L_lean_fence")
        if len(text) > 500 and len(zlib.compress(text.encode())) / len(text.encode()) < 0.12:
            out.add("L_repetition")
        if len(text.strip()) < 250:
            out.add("L_short")
        if "sorry" in text or "</think>" in text:
            out.add("L_sorry_or_think")
    if u["role"]:
        out.add("R_role_" + u["role"])  # MathCoder: draw both roles
    return out


# ---------------------------------------------------------------- existing keys, drawing

def existing_keys():
    keys, lean_files = set(), set()
    files = glob.glob(str(LABELS / "*.jsonl")) + [f for name in EARLIER_SETS for f in glob.glob(str(LABELS / name / "*.jsonl"))]
    for path in sorted(files):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                keys.add((row["source"], row["record"], row["sample"], row.get("pointer")))
                if row["source"].startswith("lean-provers-minif2f"):
                    lean_files.add(os.path.normpath(row["source"]))
    return keys, lean_files


def interleave(pool, rng):
    groups = {}
    for u in pool:
        groups.setdefault(u["group"], []).append(u)
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
    for u in all_units():
        units.setdefault(u["source"].split("/")[0], []).append(u)
    for folder, target in TARGETS.items():
        def is_taken(u):
            return (u["source"], u["record"], u["sample"], u["pointer"]) in taken or (
                folder == "lean-provers-minif2f" and os.path.normpath(u["source"]) in lean_files)
        seen_texts = {(zlib.crc32(u["text"].strip().encode()), len(u["text"].strip())) for u in units[folder] if is_taken(u)}
        pool = []
        for u in units[folder]:
            if is_taken(u):
                continue
            text_id = zlib.crc32(u["text"].strip().encode()), len(u["text"].strip())
            if text_id in seen_texts:
                continue
            seen_texts.add(text_id)
            u["group"] = file_group(u["source"])
            u["strata"] = strata_of(u, folder)
            pool.append(u)
        pools = {}
        for u in pool:
            for name in u["strata"]:
                pools.setdefault(name, []).append(u)
        order = sorted(pools)
        rng.shuffle(order)
        queues = {name: interleave(pools[name], rng) for name in order}
        n_random = max(round(target / 3), 1)
        picked, seen, records = [], set(), set()

        def ok(u):
            rec = (u["source"], u["record"]) if folder == "mathcoder-tir-roles" else id(u)
            return id(u) not in seen and rec not in records

        def take(u, name):
            seen.add(id(u))
            records.add((u["source"], u["record"]) if folder == "mathcoder-tir-roles" else id(u))
            picked.append((name, u))

        for name in order:  # rare strata whole
            if len(pools[name]) <= RARE:
                for u in list(queues[name]):
                    if ok(u) and len(picked) < target - n_random:
                        take(u, name)
                queues[name] = []
        while len(picked) < target - n_random and any(queues.values()):
            for name in order:
                while queues[name]:
                    u = queues[name].pop(0)
                    if ok(u):
                        take(u, name)
                        break
                if len(picked) >= target - n_random:
                    break
        for u in interleave(pool, rng):
            if len(picked) >= target:
                break
            if ok(u):
                take(u, "R_random")
        print(json.dumps({"folder": folder, "units": len(units[folder]), "pool": len(pool),
                          "stratum_sizes": {n: len(pools[n]) for n in sorted(pools)}}), file=sys.stderr)
        for name, u in picked:
            key = {"source": u["source"], "record": u["record"], "sample": u["sample"]}
            if u["pointer"] is not None:
                key["pointer"] = u["pointer"]
            print(json.dumps({**key, "stratum": name, "strata": sorted(u["strata"])}, ensure_ascii=False))


if __name__ == "__main__":
    main()
