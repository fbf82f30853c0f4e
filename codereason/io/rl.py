"""Training-time dumps: verl validation/rollout JSONL and training-log JSONL (cs336 GRPO style).

verl: ``input, output, gts, score, step``; the problem id hashes the input and
``sample_idx`` counts the problem's earlier lines. Training logs: ``response,
ground_truth, question_index, rollout_index, answer_reward`` (or ``reward``).
Every other field is kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterator

from codereason.io.fields import extras, first_text, gold, ident, score, text, whole
from codereason.io.sources import Context, each_record, iter_jsonl


def read_verl(context: Context) -> Iterator[dict]:
    seen: Counter[str] = Counter()

    def rows(context: Context, number: int, record: dict) -> list[dict]:
        prompt, response = text(record, "input"), text(record, "output")
        problem_id = hashlib.sha1(prompt.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]
        row = context.base_row(
            number, problem_id=problem_id, sample_idx=seen[problem_id], prompt=prompt, response=response,
            gold=gold("gts", record.get("gts")), step=whole(record, "step", context.layout.get("step")),
            stored_score=score("score", record.get("score")),
        )
        row.update(extras(record, ("input", "output", "gts", "step", "score")))
        seen[problem_id] += 1
        return [row]

    return each_record(context, iter_jsonl(context), rows)


def read_trainlog(context: Context) -> Iterator[dict]:
    return each_record(context, iter_jsonl(context), _trainlog_row)


def _trainlog_row(context: Context, number: int, record: dict) -> list[dict]:
    reward_name = "answer_reward" if record.get("answer_reward") is not None else "reward"
    row = context.base_row(
        number, problem_id=ident(record, "question_index", default=str(number - 1)),
        sample_idx=whole(record, "rollout_index", 0), prompt=first_text(record, ("prompt", "question")),
        response=text(record, "response"), gold=gold("ground_truth", record.get("ground_truth")),
        step=whole(record, "step", context.layout.get("step")),
        stored_score=score(reward_name, record.get(reward_name)),
    )
    row.update(extras(record, ("question_index", "rollout_index", "prompt", "response", "ground_truth", "step",
                               reward_name)))
    return [row]
