"""Run lighteval's own CLI with its task registry limited to our custom task file.

lighteval 0.13 imports every built-in task module when it builds the registry, and some of them reach
the network at import (tinyBenchmarks' pickle, mt_bench's judge model lookup); this machine has none.
Everything else (model loading, generation, metrics, --save-details) is lighteval's own code.
"""

import sys

from lighteval.tasks.registry import Registry


def _only_custom(custom_tasks=None, load_multilingual=False):
    return Registry._extract_configs(Registry.create_custom_tasks_module(custom_tasks))


Registry.load_all_task_configs = staticmethod(_only_custom)

from lighteval.__main__ import app  # noqa: E402

sys.exit(app())
