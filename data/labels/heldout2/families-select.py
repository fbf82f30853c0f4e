"""Candidate selection for heldout2/families.jsonl (scripted, seeded; labels were given by reading).

Run from the repository root:
    PYTHONPATH=. python data/labels/heldout2/families-select.py OUT.json
Writes candidate keys with the stratum that chose each (no labels; texts are never stored).
Keys already in data/labels/*.jsonl or data/labels/heldout/*.jsonl are excluded first.
The classifier and `"python" in text.lower()` are used here only to form strata in bulk.
"""
import glob
import json
import random
import re
import sys
import zlib
from pathlib import Path

from codereason.classifier import classify

ROOT = Path("/work/shared/realdata")
LABELS = Path(__file__).resolve().parent.parent
SEED = 20261203
RARE = 4
FENCE = re.compile(r"```([^\n`]*)")
CODE_LINE = re.compile(r"^\s*(def \w+\(|class \w+|import \w|from \w+ import|print\(|for \w+ in |while .*:|return\b|"
                       r"[A-Za-z_]\w*\s*=\s*\S)", re.M)
ONE_LINE_COMMENT = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*[^=\n]+#", re.M)
CODE_TOKEN = re.compile(r"(\w+\(\)|=>|\w+\s*==\s*\w|;\s*$|\{\s*$|\}\s*$|isinstance|\bself\.|\bnull\b|\btrue\b|\w+\.\w+\(|\w+_\w+\s*=)", re.M)
NONLATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")

TARGETS = {  # per source: how many to choose
    "olmo2-1b-gsm8k-baseline": 20,
    "justrl-smollm-360m-aime25": 18,
    "justrl-qwen25-0p5b-gsm8k": 18,
    "thinking-hybrid-r1distill-qwq": 18,
    "llama3-8b-gsm8k-cs336-2024": 10,
    "skythought-results-json": 8,
    "lmeval-samples-truthfulqa-neo125m": 12,
}


def key_tuple(key):
    return (key["source"], key["record"], key["sample"], key.get("pointer"))


def existing_keys():
    keys = set()
    for f in sorted(glob.glob(str(LABELS / "*.jsonl")) + glob.glob(str(LABELS / "heldout" / "*.jsonl"))):
        for line in open(f, encoding="utf-8"):
            if line.strip():
                keys.add(key_tuple(json.loads(line)))
    return keys


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def jsonl(source, path):
    for number, line in enumerate(open(ROOT / source, encoding="utf-8")):
        if line.strip():
            text = json.loads(line)
            for part in path:
                text = text[part]
            pointer = "/" + "/".join(escape(str(p)) for p in path)
            yield {"source": source, "record": number, "sample": 0, "pointer": pointer}, text


def thinking(source):
    doc = json.load(open(ROOT / source, encoding="utf-8"))
    for i, task in enumerate(doc["tasks"]):
        for role, text in task["model_answers"].items():
            yield {"source": source, "record": None, "sample": 0, "pointer": f"/tasks/{i}/model_answers/{role}"}, text


def skythought(source):
    doc = json.load(open(ROOT / source, encoding="utf-8"))
    for problem, entry in doc.items():
        for temp, resp in entry["responses"].items():
            yield {"source": source, "record": None, "sample": 0,
                   "pointer": f"/{escape(problem)}/responses/{escape(temp)}/content"}, resp["content"]


def sources():
    yield "olmo2-1b-gsm8k-baseline", [x for p in ("question_only", "r1_zero", "r1_zero_three_shot_gsm8k")
                                      for x in jsonl(f"olmo2-1b-gsm8k-baseline/out/baseline_completions_{p}_test.jsonl",
                                                     ["completion", "text"])]
    yield "justrl-smollm-360m-aime25", list(jsonl("justrl-smollm-360m-aime25/aime25_t0.7_p0.9_n32-MNT31744.jsonl", ["response"]))
    yield "justrl-qwen25-0p5b-gsm8k", list(jsonl("justrl-qwen25-0p5b-gsm8k/gsm8k_t0.7_p0.9_n1-MNT1024.jsonl", ["response"]))
    th = []
    for f in sorted((ROOT / "thinking-hybrid-r1distill-qwq/hybrid/results").glob("*.json")):
        th += list(thinking(str(f.relative_to(ROOT))))
    yield "thinking-hybrid-r1distill-qwq", th
    yield "llama3-8b-gsm8k-cs336-2024", list(jsonl("llama3-8b-gsm8k-cs336-2024/eval_results/eval_results.jsonl", ["model_response"]))
    yield "skythought-results-json", list(skythought(
        "skythought-results-json/Qwen2.5-32B-Instruct_MATH500_test_None_0_-1_still2_sys_zero.json"))
    # lm-eval --log_samples: one request per row, one sample: the response is resps[0][0]
    yield "lmeval-samples-truthfulqa-neo125m", list(jsonl(
        "lmeval-samples-truthfulqa-neo125m/samples_truthfulqa_gen_2025-05-31T13-51-32.759677.jsonl", ["resps", 0, 0]))


def strata(text):
    """Which hard strata a text falls in (used only to pick candidates, never to label)."""
    found = []
    ast = classify(text, "ast").code_reasoning
    paper = classify(text, "paper").code_reasoning
    if ast:
        found.append("K_ast_code")
    if ast != paper:
        found.append("D_ast_paper_disagree")
    tags = [t.strip().lower() for t in FENCE.findall(text)]
    if any(t not in ("python", "output") for t in tags[0::2]):  # opening fences (they alternate)
        found.append("F_odd_or_missing_tag")
    if len(tags) % 2 == 1:
        found.append("F2_odd_fence_count")
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    if CODE_LINE.search(outside):
        found.append("C_code_line_outside_fence")
    if ONE_LINE_COMMENT.search(text):
        found.append("O_assignment_with_comment")
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
    if "```python" in text:
        found.append("P_python_fence")
    return found


def select(target, items, rng):
    """Rare strata whole, then round-robin over hard strata (each a shuffled pool, a response
    counted once) until target minus a third, then random from the rest."""
    chosen, by_stratum = {}, {}
    tagged = [strata(t) for _, t in items]
    lengths = sorted(len(t) for _, t in items)
    cut = lengths[int(0.95 * len(lengths))]  # the source's longest 5% (length-limit runs, loops)
    for (_, t), found in zip(items, tagged):
        if len(t) > cut:
            found.append("L_longest_5pct")
    for i, found in enumerate(tagged):
        for s in found:
            by_stratum.setdefault(s, []).append(i)
    sizes = {s: len(v) for s, v in sorted(by_stratum.items())}
    order = sorted(by_stratum)
    for s in order:
        rng.shuffle(by_stratum[s])
    n_random = max(round(target / 3), 3)
    for s in order:  # rare strata (<= RARE responses) are taken whole first
        if sizes[s] <= RARE:
            while by_stratum[s] and len(chosen) < target - n_random:
                i = by_stratum[s].pop()
                if i not in chosen:
                    chosen[i] = s
    while len(chosen) < target - n_random and any(by_stratum[s] for s in order):
        for s in order:
            while by_stratum[s]:
                i = by_stratum[s].pop()
                if i not in chosen:
                    chosen[i] = s
                    break
            if len(chosen) >= target - n_random:
                break
    rest = [i for i in range(len(items)) if i not in chosen]
    for i in rng.sample(rest, min(len(rest), target - len(chosen))):
        chosen[i] = "R_random"
    return [{**items[i][0], "stratum": s, "all_strata": tagged[i]} for i, s in chosen.items()], sizes


def main(path):
    rng = random.Random(SEED)
    taken = existing_keys()
    result, summary = [], {}
    for name, items in sources():
        total = len(items)
        items = [(k, t) for k, t in items if key_tuple(k) not in taken]
        chosen, sizes = select(TARGETS[name], items, rng)
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
