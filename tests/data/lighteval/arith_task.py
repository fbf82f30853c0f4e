"""A local lighteval generative task on the six problems of tests/data/lmeval/arith.jsonl (we wrote them)."""

import os

from lighteval.metrics.metrics import Metrics
from lighteval.tasks.lighteval_task import LightevalTaskConfig
from lighteval.tasks.requests import Doc


def arith_prompt(line, task_name: str = None):
    return Doc(task_name=task_name, query=f"Question: {line['question']}\nAnswer: Let's think step by step.",
               choices=[line["answer"].split("#### ")[-1]], gold_index=0)


TASKS_TABLE = [LightevalTaskConfig(
    name="arith", prompt_function=arith_prompt, hf_repo=os.environ["ARITH_DATA_DIR"], hf_subset="default",
    hf_avail_splits=["test"], evaluation_splits=["test"], metrics=[Metrics.exact_match], generation_size=48,
    stop_sequence=["Question:"], version=0,
)]
