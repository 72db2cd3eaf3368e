# qnnflow: the README's two commands are `make build BOARD=pynq_z2` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BOARD ?= pynq_z2
MODEL ?= data/models/tinier-yolo-mini.cfg
OUT ?= build
ARGS ?=
DEFAULT_MODEL := data/models/tinier-yolo-mini.cfg
# the default model was trained on the seeded shapes dataset: its test split gates accuracy
ACCURACY_DATA ?= $(OUT)/shapes-test
ifeq ($(MODEL),$(DEFAULT_MODEL))
ACCURACY_ARGS := --accuracy-data $(ACCURACY_DATA)
endif
LINT_PATHS := $(wildcard src tests flows benchmarks tools)

.PHONY: setup darknet build test test-slow lint clean mutation

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,quant]"
	touch $@

# Compiled Darknet (Debian's `darknet`, libdarknet.so) lets the tests compare the importer
# with Darknet's own forward pass; best effort: those tests skip where it cannot be installed.
darknet:
	@if [ ! -f /usr/lib/darknet/libdarknet.so ] && command -v apt-get >/dev/null \
	    && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq darknet) \
	    >/dev/null 2>&1 || echo "note: could not install Debian's darknet; its tests will skip"; \
	fi

setup: $(VENV)/.installed darknet

build: setup
ifeq ($(MODEL),$(DEFAULT_MODEL))
	@[ -d $(ACCURACY_DATA) ] || $(VENV)/bin/qnnflow make-dataset -o $(ACCURACY_DATA) \
	    --train 0 --val 0 --test 200
endif
	$(VENV)/bin/qnnflow build --board $(BOARD) --model $(MODEL) --out $(OUT) $(ACCURACY_ARGS) $(ARGS)

# -rs lists every skipped test and why; CI adds --require-shared (.ci/run)
PYTEST_ARGS ?=
test: setup
	$(PY) -m pytest -n 2 -q -rs $(PYTEST_ARGS)

# mutation testing (mutmut) of the numeric core, one group at a time with the fast tests of
# its area (tools/mutation.py); kill rate per module in build/mutation/<group>/summary.txt
MUTATION_GROUPS ?= packing verify ops thresholds
mutation: setup
	env -u PYTHONPATH $(PY) tools/mutation.py $(MUTATION_GROUPS)

test-slow: setup
	$(PY) -m pytest -q -m slow

lint: setup
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

clean:
	rm -rf $(OUT)
