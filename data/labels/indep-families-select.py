"""Candidate selection for indep-families.jsonl (scripted, seeded; labels were given by reading).

Run from the repository root:  PYTHONPATH=. python data/labels/indep-families-select.py OUT.json
Writes candidate keys with the strata that chose them (no labels; texts are never stored).
"""
import hashlib
import json
import random
import re
import sys
import zlib
from pathlib import Path

from codereason import classify

ROOT = Path("/work/shared/realdata")
SEED = 20261202
FENCE = re.compile(r"```([^\n`]*)")
CODE_LINE = re.compile(r"^\s*(def \w+\(|import \w|from \w+ import|print\(|for \w+ in |while .*:|return\b|[A-Za-z_]\w*\s*=\s*\S)", re.M)


def jsonl(source, pointer):
    for number, line in enumerate(open(ROOT / source, encoding="utf-8")):
        if line.strip():
            obj = json.loads(line)
            text = obj
            for part in pointer.strip("/").split("/"):
                text = text[part]
            yield {"source": source, "record": number, "sample": 0, "pointer": pointer}, text


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


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


def harness(source):
    for number, line in enumerate(open(ROOT / source, encoding="utf-8")):
        obj = json.loads(line)
        for s, text in enumerate(obj["code"]):
            yield {"source": source, "record": number, "sample": s}, text


def sources():
    q = "justrl-qwen25-0p5b-gsm8k/gsm8k_t0.7_p0.9_n1-MNT1024.jsonl"
    yield "justrl-qwen25-0p5b-gsm8k", 34, list(jsonl(q, "/response"))
    yield "justrl-smollm-360m-aime25", 20, list(jsonl("justrl-smollm-360m-aime25/aime25_t0.7_p0.9_n32-MNT31744.jsonl", "/response"))
    olmo = []
    for p in ("question_only", "r1_zero", "r1_zero_three_shot_gsm8k"):
        olmo += list(jsonl(f"olmo2-1b-gsm8k-baseline/out/baseline_completions_{p}_test.jsonl", "/completion/text"))
    yield "olmo2-1b-gsm8k-baseline", 24, olmo
    yield "llama3-8b-gsm8k-cs336-2024", 20, list(jsonl("llama3-8b-gsm8k-cs336-2024/eval_results/eval_results.jsonl", "/model_response"))
    th = []
    for f in sorted((ROOT / "thinking-hybrid-r1distill-qwq/hybrid/results").glob("*.json")):
        th += list(thinking(str(f.relative_to(ROOT))))
    yield "thinking-hybrid-r1distill-qwq", 26, th
    yield "skythought-results-json", 16, list(skythought("skythought-results-json/Qwen2.5-32B-Instruct_MATH500_test_None_0_-1_still2_sys_zero.json"))
    hq = []
    for f in sorted((ROOT / "qwen25-math-7b-harness/Qwen2.5-Math-7B").glob("*/*.jsonl")):
        hq += list(harness(str(f.relative_to(ROOT))))
    yield "qwen25-math-7b-harness", 40, hq


def strata(text):
    """Which hard strata a text falls in (used only to pick candidates)."""
    found = []
    ast = classify(text, "ast").code_reasoning
    if ast and "```python" not in text:
        found.append("A_ast_code_no_python_fence")
    if ast != classify(text, "paper").code_reasoning:
        found.append("D_ast_paper_disagree")
    tags = [t.strip().lower() for t in FENCE.findall(text)]
    if any(t not in ("", "python", "output") for t in tags):
        found.append("F_odd_fence_tag")
    if len(tags) % 2 == 1:
        found.append("F2_odd_fence_count")
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    if CODE_LINE.search(outside):
        found.append("C_code_line_outside_fence")
    raw = text.encode()
    if len(raw) > 2000 and len(zlib.compress(raw)) / len(raw) < 0.15:
        found.append("T_repetition")
    if "\\boxed" not in text and len(text) > 4000:
        found.append("T_long_no_boxed")
    if re.search(r"[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", text[-1500:]):
        found.append("T_nonlatin_tail")
    if "```python" in text:
        found.append("P_python_fence")
    return found


def heldout(key):
    blob = json.dumps([key["source"], key["record"], key["sample"], key.get("pointer")])
    return int(hashlib.sha256(blob.encode()).hexdigest(), 16) % 10 < 3


def select(name, target, items, rng):
    """Round-robin over hard strata (shuffled), then random; about a third random."""
    chosen, by_stratum = {}, {}
    tagged = [(i, strata(t)) for i, (_, t) in enumerate(items)]
    for i, found in tagged:
        for s in found:
            by_stratum.setdefault(s, []).append(i)
    counts = {s: len(v) for s, v in sorted(by_stratum.items())}
    for pool in by_stratum.values():
        rng.shuffle(pool)
    n_random = max(target // 3, 6)
    order = sorted(by_stratum)
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
    out = []
    for i, s in chosen.items():
        key = dict(items[i][0])
        if key.get("pointer") is None:
            key.pop("pointer", None)
        out.append({**key, "stratum": s, "all_strata": tagged[i][1],
                    "heldout": heldout(items[i][0]), "group": name})
    return out, counts, len(items)


NONLATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def supplement(name, items, chosen):
    """Added after the first pass, exhaustively: every response with non-Latin script anywhere,
    and every fenced response of skythought-results-json (both rare), not already chosen."""
    taken = {(c["source"], c["record"], c.get("pointer")) for c in chosen}
    extra = []
    for key, text in items:
        rule = None
        if NONLATIN.search(text):
            rule = "S_nonlatin_anywhere"
        elif name == "skythought-results-json" and "```" in text:
            rule = "S_skythought_fence"
        if rule and (key["source"], key["record"], key.get("pointer")) not in taken:
            k = {n: v for n, v in key.items() if not (n == "pointer" and v is None)}
            extra.append({**k, "stratum": rule, "all_strata": strata(text) + [rule], "heldout": heldout(key), "group": name})
    return extra


def main(path):
    rng = random.Random(SEED)
    result, summary, extra = [], {}, []
    for name, target, items in sources():
        chosen, counts, total = select(name, target, items, rng)
        extra += supplement(name, items, chosen)
        result += chosen
        summary[name] = {"responses": total, "stratum_sizes": counts}
        print(name, total, counts, len(chosen), file=sys.stderr)
    result += extra
    print("supplement", len(extra), file=sys.stderr)
    json.dump({"candidates": result, "summary": summary}, open(path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
