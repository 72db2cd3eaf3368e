# qnnflow: the README's two commands are `make build BOARD=pynq_z2` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BOARD ?= pynq_z2
MODEL ?= data/models/tinier-yolo-mini.cfg
OUT ?= build
ARGS ?=
DEFAULT_MODEL := data/models/tinier-yolo-mini.cfg
# the default model was trained on the seeded shapes dataset: its test split gates accuracy,
# against the float-trained weights that flows/train_default.py fine-tuned to W1A3
ACCURACY_DATA ?= $(OUT)/shapes-test
FLOAT_REFERENCE := data/models/tinier-yolo-mini-float.weights
ifeq ($(MODEL),$(DEFAULT_MODEL))
ACCURACY_ARGS := --accuracy-data $(ACCURACY_DATA) --float-reference $(FLOAT_REFERENCE)
endif
LINT_PATHS := $(wildcard src tests flows benchmarks tools)

.PHONY: setup darknet stb chromium build test test-slow test-golden lint clean mutation

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,quant,rtl]"
	touch $@

# Compiled Darknet (Debian's `darknet`, libdarknet.so) lets the tests compare the importer
# with Darknet's own forward pass; best effort: those tests skip where it cannot be installed.
darknet:
	@if [ ! -f /usr/lib/darknet/libdarknet.so ] && command -v apt-get >/dev/null \
	    && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq darknet) \
	    >/dev/null 2>&1 || echo "note: could not install Debian's darknet; its tests will skip"; \
	fi

# stb_image's header (Debian's libstb-dev) lets qnnflow decode images exactly as Darknet does
# (a small shim compiled with g++); best effort: without it (and without libdarknet.so),
# Darknet models fall back to Pillow with a warning and the stb tests skip.
stb:
	@if [ ! -f /usr/include/stb/stb_image.h ] && command -v apt-get >/dev/null \
	    && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libstb-dev) \
	    >/dev/null 2>&1 || echo "note: could not install libstb-dev; Darknet decoding tests will skip"; \
	fi

# Headless Chromium (Debian's `chromium`) lets a slow test render report.html in a real
# browser; best effort: that test skips where it cannot be installed.
chromium:
	@if ! command -v chromium >/dev/null && command -v apt-get >/dev/null \
	    && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    >/dev/null 2>&1 || echo "note: could not install Debian's chromium; its test will skip"; \
	fi

setup: $(VENV)/.installed darknet stb

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
# its area, a streamline rule's mutants with that rule's own tests only (tools/mutation.py,
# tools/mutation_selection.py); kill rate per module in build/mutation/<group>/summary.txt
MUTATION_GROUPS ?= packing verify ops streamline
mutation: setup
	env -u PYTHONPATH $(PY) tools/mutation.py $(MUTATION_GROUPS)

test-slow: setup chromium
	$(PY) -m pytest -q -m slow

# the slow tests of the headline claims on the trained Tinier-YOLO (../shared): the whole
# build within the board's budget, and its RTL (Verilator) bit-exact against the board's
# verification.bin, and the default model with --verify full (every transform checked at full
# size; the default --verify fast checks each step once on a small image), and Darknet's
# YOLOv2-tiny at 416 folding within the board's caps; CI runs them after `make test`
GOLDEN_TESTS := tests/flow/test_trained_build.py tests/flow/test_verify_modes.py \
	tests/backends/rtl/test_trained_tinier_yolo_rtl.py tests/flow/test_yolov2_tiny_fits.py
test-golden: setup
	$(PY) -m pytest -q -rs -m slow $(PYTEST_ARGS) $(GOLDEN_TESTS)

lint: setup
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

clean:
	rm -rf $(OUT)
