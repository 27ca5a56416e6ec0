# Every target does its own set-up: a fresh machine needs only python3 (3.10+).
# Installs go through constraints.txt, which pins the CPU torch wheel (no CUDA download).
VENV ?= .venv
PY := $(VENV)/bin/python
TL := $(VENV)/bin/tunelint
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench vsix docs clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[train,dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job on the bundled defaults: lint the examples, show a fix, estimate, train.
demo: $(STAMP)
	@echo "== tunelint check examples/ (one finding per article rule) =="
	-$(TL) check examples/
	@echo "== tunelint check --diff: the safe fix for TL101 =="
	-$(TL) check --diff examples/rules/tl101-fp16-on-ampere.tune.yaml
	@echo "== tunelint estimate =="
	-$(TL) estimate examples/rules/tl101-fp16-on-ampere.tune.yaml
	@echo "== tunelint run: SFT + LoRA of the built-in tiny model on CPU =="
	HF_HUB_OFFLINE=1 $(TL) run examples/quickstart.tune.yaml --overwrite

## The tests (what CI runs).
test: $(STAMP)
	bash scripts/install-test-deps.sh
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) benchmarks/lint_speed.py
	$(PY) benchmarks/lsp_latency.py
	$(PY) benchmarks/estimator_accuracy.py
	$(PY) benchmarks/advice_quality.py
	$(PY) benchmarks/model_coverage.py
	$(PY) benchmarks/parse_caps.py
	$(PY) benchmarks/runner_overhead.py

vsix:
	bash editors/vscode/build.sh

docs: $(STAMP)
	$(PY) scripts/render_readme.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
