"""Candidate selection for heldout3/families.jsonl (scripted, seeded; labels were given by reading).

Run from the repository root:
    python data/labels/heldout3/families-select.py OUT.json
Writes candidate keys with the stratum that chose each (no labels; texts are never stored).
After the seeded selection, an exhaustive supplement (`supplement()`) adds, for the code-poor sources
(all but justrl-qwen), every remaining response with a non-prompt [asy] block or a statement-like line.
Keys already in data/labels/*.jsonl, data/labels/heldout/*.jsonl and data/labels/heldout2/*.jsonl
are excluded first. Text rules only (regexes, ast.parse, zlib): the codereason classifier is NOT
imported or called, so the candidate list depends only on the data, the label files and the seed.
"""
import ast
import glob
import json
import random
import re
import sys
import zlib
from pathlib import Path

ROOT = Path("/work/shared/realdata")
LABELS = Path(__file__).resolve().parent.parent
SEED = 20261204
RARE = 3          # strata this small are taken whole first
FENCE = re.compile(r"```([^\n`]*)")
CODE_LINE = re.compile(r"^\s*(def \w+\(|class \w+|import \w|from \w+ import|print\(|for \w+ in |while .*:|return\b|"
                       r"[A-Za-z_]\w*\s*=\s*\S)", re.M)
ONE_LINE_COMMENT = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*[^=\n]+#", re.M)
SNAKE_ASSIGN = re.compile(r"^\s*[a-z][a-z0-9]*_[a-z0-9_]+\s*=[^=]", re.M)
PY_COMMENT = re.compile(r"^\s*# [a-z]", re.M)   # lower-case after '# ' (markdown headings are mostly capitalised)
CODE_TOKEN = re.compile(r"(\w+\(\)|=>|\w+\s*==\s*\w|;\s*$|\{\s*$|\}\s*$|isinstance|\bself\.|\bnull\b|\btrue\b|\w+\.\w+\(|\w+_\w+\s*=)", re.M)
NONLATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
LATEX_DISPLAY = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}|\$[^$\n]*\$", re.S)
SUPP_STATEMENT = re.compile(r"(\bimport [\w.]+(\.\*)?|^\s*print[ (]|\bdef \w+\(|\blambda \w*:|console\.log|System\.out|#include|"
                            r"\bfor \w+ in range\()", re.M)
STATEMENT_NODES = (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.For, ast.While,
                   ast.If, ast.Return, ast.ClassDef)

TARGETS = {  # per source: how many to choose
    "olmo2-1b-gsm8k-baseline": 22,
    "justrl-smollm-360m-aime25": 20,
    "justrl-qwen25-0p5b-gsm8k": 16,
    "thinking-hybrid-r1distill-qwq": 20,
    "llama3-8b-gsm8k-cs336-2024": 8,
    "skythought-results-json": 6,
    "lmeval-samples-truthfulqa-neo125m": 8,
}
# strata that may hold the rare positives of mostly code-free sources: taken first (up to CAP each, default 3)
POSITIVE_SEEKING = ("A2_asy_not_in_prompt", "X_ast_statement_line", "P_python_fence", "A_asymptote", "O_assignment_with_comment",
                    "S_snake_assign", "Q_python_comment_line")
CAP = {"A2_asy_not_in_prompt": 5}  # default 3


def key_tuple(key):
    return (key["source"], key["record"], key["sample"], key.get("pointer"))


def existing_keys():
    keys = set()
    files = glob.glob(str(LABELS / "*.jsonl")) + glob.glob(str(LABELS / "heldout" / "*.jsonl")) \
        + glob.glob(str(LABELS / "heldout2" / "*.jsonl"))
    for f in sorted(files):
        for line in open(f, encoding="utf-8"):
            if line.strip():
                keys.add(key_tuple(json.loads(line)))
    return keys


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def jsonl(source, path, prompt_field=None):
    for number, line in enumerate(open(ROOT / source, encoding="utf-8")):
        if line.strip():
            row = text = json.loads(line)
            for part in path:
                text = text[part]
            pointer = "/" + "/".join(escape(str(p)) for p in path)
            prompt = row.get(prompt_field) or "" if prompt_field else ""
            yield {"source": source, "record": number, "sample": 0, "pointer": pointer}, text, prompt


def thinking(source):
    doc = json.load(open(ROOT / source, encoding="utf-8"))
    for i, task in enumerate(doc["tasks"]):
        for role, text in task["model_answers"].items():
            yield ({"source": source, "record": None, "sample": 0, "pointer": f"/tasks/{i}/model_answers/{role}"},
                   text, task.get("question") or "")


def skythought(source):
    doc = json.load(open(ROOT / source, encoding="utf-8"))
    for problem, entry in doc.items():
        for temp, resp in entry["responses"].items():
            yield {"source": source, "record": None, "sample": 0,
                   "pointer": f"/{escape(problem)}/responses/{escape(temp)}/content"}, resp["content"], problem


def sources():
    yield "olmo2-1b-gsm8k-baseline", [x for p in ("question_only", "r1_zero", "r1_zero_three_shot_gsm8k")
                                      for x in jsonl(f"olmo2-1b-gsm8k-baseline/out/baseline_completions_{p}_test.jsonl",
                                                     ["completion", "text"])]
    yield "justrl-smollm-360m-aime25", list(jsonl("justrl-smollm-360m-aime25/aime25_t0.7_p0.9_n32-MNT31744.jsonl", ["response"], "prompt"))
    yield "justrl-qwen25-0p5b-gsm8k", list(jsonl("justrl-qwen25-0p5b-gsm8k/gsm8k_t0.7_p0.9_n1-MNT1024.jsonl", ["response"], "question"))
    th = []
    for f in sorted((ROOT / "thinking-hybrid-r1distill-qwq/hybrid/results").glob("*.json")):
        th += list(thinking(str(f.relative_to(ROOT))))
    yield "thinking-hybrid-r1distill-qwq", th
    yield "llama3-8b-gsm8k-cs336-2024", list(jsonl("llama3-8b-gsm8k-cs336-2024/eval_results/eval_results.jsonl", ["model_response"]))
    yield "skythought-results-json", list(skythought(
        "skythought-results-json/Qwen2.5-32B-Instruct_MATH500_test_None_0_-1_still2_sys_zero.json"))
    yield "lmeval-samples-truthfulqa-neo125m", list(jsonl(
        "lmeval-samples-truthfulqa-neo125m/samples_truthfulqa_gen_2025-05-31T13-51-32.759677.jsonl", ["resps", 0, 0]))


def ast_statement_line(text):
    """A line outside fences and LaTeX that ast.parse reads as a statement (not a bare expression),
    with an identifier of 2+ characters or a call -- a rough 'looks like Python' rule."""
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    outside = LATEX_DISPLAY.sub(" ", outside)
    for line in outside.splitlines():
        line = line.strip()
        if len(line) < 5 or len(line) > 200:
            continue
        try:
            tree = ast.parse(line)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
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
    """An [asy] block of the response whose first 40 non-space characters are not in the prompt."""
    flat = squash(prompt)
    for block in re.findall(r"\[asy\](.*?)(?:\[/asy\]|$)", text, re.S):
        head = squash(block)[:40]
        if head and head not in flat:
            return True
    return False


def strata(text, prompt=""):
    """Which hard strata a text falls in (used only to pick candidates, never to label)."""
    found = []
    tags = [t.strip().lower() for t in FENCE.findall(text)]
    if any(t not in ("python", "output") for t in tags[0::2]):  # opening fences (they alternate)
        found.append("F_odd_or_missing_tag")
    if len(tags) % 2 == 1:
        found.append("F2_odd_fence_count")
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    if CODE_LINE.search(outside):
        found.append("C_code_line_outside_fence")
    if ast_statement_line(text):
        found.append("X_ast_statement_line")
    if ONE_LINE_COMMENT.search(text):
        found.append("O_assignment_with_comment")
    if SNAKE_ASSIGN.search(text):
        found.append("S_snake_assign")
    if PY_COMMENT.search(outside):
        found.append("Q_python_comment_line")
    raw = text.encode()
    if len(raw) > 2000 and len(zlib.compress(raw)) / len(raw) < 0.15:
        found.append("T_repetition")
    if len(CODE_TOKEN.findall(text[-1500:])) >= 3 and "```python" not in text:
        found.append("T_tail_code_tokens")
    if NONLATIN.search(text):
        found.append("N_nonlatin")
    if "python" in text.lower() and "```python" not in text:
        found.append("M_python_no_fence")
    if "[asy]" in text:
        found.append("A_asymptote")
        if asy_not_in_prompt(text, prompt):
            found.append("A2_asy_not_in_prompt")
    if "```python" in text:
        found.append("P_python_fence")
    return found


def select(target, items, rng, seek_positives):
    """Rare strata whole; in mostly code-free sources the positive-seeking strata next (CAP each);
    then round-robin over hard strata (each a shuffled pool, a response counted once) until target
    minus a third; then random from the rest."""
    chosen, by_stratum = {}, {}
    tagged = [strata(t, p) for _, t, p in items]
    lengths = sorted(len(t) for _, t, _ in items)
    cut = lengths[int(0.95 * len(lengths))]
    for (_, t, _), found in zip(items, tagged):
        if len(t) > cut:
            found.append("L_longest_5pct")
    for i, found in enumerate(tagged):
        for s in found:
            by_stratum.setdefault(s, []).append(i)
    sizes = {s: len(v) for s, v in sorted(by_stratum.items())}
    order = sorted(by_stratum)
    for s in order:
        rng.shuffle(by_stratum[s])
    n_random = max(round(target / 3), 2)
    hard = target - n_random

    def take(s, limit):
        n = 0
        while by_stratum[s] and len(chosen) < hard and n < limit:
            i = by_stratum[s].pop()
            if i not in chosen:
                chosen[i] = s
                n += 1

    for s in order:
        if sizes[s] <= RARE:
            take(s, RARE)
    if seek_positives:
        for s in POSITIVE_SEEKING:
            if s in by_stratum:
                take(s, CAP.get(s, 3))
    while len(chosen) < hard and any(by_stratum[s] for s in order):
        for s in order:
            take(s, 1)
            if len(chosen) >= hard:
                break
    rest = [i for i in range(len(items)) if i not in chosen]
    for i in rng.sample(rest, min(len(rest), target - len(chosen))):
        chosen[i] = "R_random"
    return [{**items[i][0], "stratum": s, "all_strata": tagged[i]} for i, s in chosen.items()], sizes


def supplement(items, chosen_keys):
    """Exhaustive supplement for the code-poor sources (run after the seeded selection, so it does not
    change it): every response not yet chosen that has an [asy] block not copied from the prompt, or a
    statement-like line (import/print/def/lambda/console.log/System.out/#include/for-in-range) whose line
    is not copied from the prompt."""
    out = []
    for key, text, prompt in items:
        if key_tuple(key) in chosen_keys:
            continue
        flat = squash(prompt)
        found = "[asy]" in text and asy_not_in_prompt(text, prompt)
        for m in SUPP_STATEMENT.finditer(text):
            end = text.find("\n", m.start())
            if squash(text[m.start():end if end > 0 else len(text)])[:30] not in flat:
                found = True
                break
        if found:
            out.append({**key, "stratum": "S_supplement", "all_strata": strata(text, prompt)})
    return out


def main(path):
    rng = random.Random(SEED)
    taken = existing_keys()
    result, summary = [], {}
    for name, items in sources():
        total = len(items)
        items = [item for item in items if key_tuple(item[0]) not in taken]
        seek = name != "justrl-qwen25-0p5b-gsm8k"  # the one source where code is common
        chosen, sizes = select(TARGETS[name], items, rng, seek)
        if seek:
            chosen += supplement(items, {key_tuple(c) for c in chosen})
        for c in chosen:
            c["group"] = name
            if c.get("pointer") is None:
                c.pop("pointer", None)
        result += chosen
        summary[name] = {"responses": total, "unlabelled": len(items), "stratum_sizes": sizes}
        print(name, total, len(items), sizes, len(chosen), file=sys.stderr)
    json.dump({"candidates": result, "summary": summary}, open(path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
