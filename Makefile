# The README's two quick-start commands: `make run` and `make test`.
# Both build the virtual environment from nothing on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# SmolLM2 in `make run`: a fixed family-stratified sample of the demo test split (2 items per family).
SMOL_SAMPLE ?= 12
SMOL_SEED ?= 1

ACTIONLINT_VERSION ?= v1.7.7

.PHONY: install install-train install-ray run test test-ray test-fast lint docs clean tools browser neo4j-image mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev,docs]'
	touch $(STAMP)

install: $(STAMP)

# `make test` also installs the [train] extra (torch, transformers, peft) for the training tests; `make run` does not.
TRAIN_STAMP := $(VENV)/.installed-train
$(TRAIN_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[all,dev,docs,train]'
	touch $(TRAIN_STAMP)

install-train: $(TRAIN_STAMP)

# `make test` also installs the [ray] extra for the Ray cluster tests; `make run` does not.
RAY_STAMP := $(VENV)/.installed-ray
$(RAY_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[all,dev,ray]'
	touch $(RAY_STAMP)

install-ray: $(RAY_STAMP)

run: install
	$(BIN)/harness db up
	$(BIN)/harness graph load
	$(BIN)/harness graph info
	$(BIN)/harness run --model gold --suite demo
	$(BIN)/harness run --model retrieval --suite demo
	$(BIN)/harness models pull smol
	$(BIN)/harness run --model smol --suite demo --sample $(SMOL_SAMPLE) --seed $(SMOL_SEED)
	$(BIN)/harness run --model smol-fewshot --suite demo --sample $(SMOL_SAMPLE) --seed $(SMOL_SEED)
	$(BIN)/harness report
	$(BIN)/harness report --format html -o report.html
	@echo "HTML report: $(CURDIR)/report.html (open it in a browser; it works offline)"

# A local Neo4j image for the docker backend on machines without an image registry (root: debootstrap).
neo4j-image: install
	$(BIN)/python scripts/build_neo4j_image.py

# actionlint validates .github/workflows in the tests; built from the Go module proxy into .cache/bin.
tools: .cache/bin/actionlint

.cache/bin/actionlint:
	GOBIN=$(CURDIR)/.cache/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# The system Chromium for the HTML report's browser tests (apt-get when missing; never a downloaded browser).
browser:
	bash scripts/ensure_chromium.sh

lint: install docs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The documentation site into site/; --strict turns a broken link, anchor or missing page into a failure.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: install-train install-ray tools browser lint
	$(BIN)/python -m pytest -q -m "not ray"
	$(MAKE) test-ray
	$(MAKE) mutation

# The Ray tests start a real two-node cluster; Ray advertises the machine's address even when told
# 127.0.0.1, so they run (with their Neo4j) in a network namespace that has only loopback (root).
test-ray: install-ray
	unshare -n sh -c 'ip link set lo up && HARNESS_REQUIRE_RAY=1 $(BIN)/python -m pytest -q -m ray'

# The mutation check on the judge's comparison and the statistics (docs/guide/nightly.md): mutmut with the fast
# tests that exercise them; lists the surviving mutants and fails under the kill-rate floor (percent).
MUTATION_FLOOR ?= 90
mutation: install
	$(BIN)/python scripts/mutation_check.py --floor $(MUTATION_FLOOR)

# The tests that need no server, model or browser: seconds, for the edit-test loop.
test-fast: install tools
	$(BIN)/python -m pytest -q -m "not neo4j and not llama and not docker and not browser and not train and not slow and not ray"

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache mutants
