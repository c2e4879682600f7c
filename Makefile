# handpose-live: `make demo` and `make test` set everything up (Debian packages, .venv) and run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test soak docs install install-dev kinect system-deps browser clean train-gpu

demo: install
	@# The window needs a display; without one the same pipeline runs headless for 10 s.
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/handpose-live; \
	else \
		echo "No display: running the synthetic camera headless for 300 frames (joints as JSON lines in demo.jsonl)."; \
		$(BIN)/handpose-live --headless --max-frames 300 --output demo.jsonl >/dev/null; \
	fi

test: install-dev kinect browser
	xvfb-run -a -s "-screen 0 1280x1024x24" $(BIN)/python -m pytest -q tests

# 20,000 frames of a synthetic recording replayed headless in a loop: resident memory may grow at
# most 5 % after warm-up and every frame must reach soak.jsonl (a few minutes; not part of test).
soak: install-dev
	rm -f soak.jsonl
	$(BIN)/handpose-live soak --frames 20000 --output soak.jsonl

# The GPU recipe: train from the shipped weights for MINUTES (default 25) with synthetic hands made
# on all cores but two, then export, quantise and score beside the shipped model; figures in
# RUN/card.md. No install: a GPU machine without network has torch, numba, onnx and onnxruntime
# but not the app's packages, which training does not import. It never replaces the shipped model.
MINUTES ?= 25
RUN     ?= runs/gpu
RECIPE_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
train-gpu:
	$(RECIPE_PYTHON) -m handpose_live.training.recipe --minutes $(MINUTES) --out $(RUN)

# The architecture picture, from its Graphviz source (Debian's graphviz package).
docs: docs/architecture.svg docs/architecture.png

docs/architecture.svg docs/architecture.png: docs/architecture.dot
	@command -v dot >/dev/null || { echo "make docs needs Graphviz: apt-get install graphviz" >&2; exit 1; }
	dot -Tsvg $< -o docs/architecture.svg
	dot -Tpng -Gdpi=100 $< -o docs/architecture.png

# The live app alone (ONNX Runtime, no PyTorch): what `make demo` needs.
install: $(STAMP)
# Everything: training, export and quantisation (PyTorch, onnx) and the tests' tools.
install-dev: $(DEV_STAMP)

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh

# Debian's chromium and chromium-driver: the browser viewer's test runs the page in a real browser.
browser:
	@PYTHON=$(PYTHON) scripts/system-deps.sh --browser

$(STAMP): requirements.txt pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	@# numba compiles the model fit on first use (~20 s): done here once, so no first frame waits for it.
	$(BIN)/python -m handpose_live.fit.warmup
	@touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	@# Prefer a torch wheel this machine already has (pip's configured find-links, e.g. a
	@# CPU build); where there is none this fails quietly and the registry's build is used.
	-@$(BIN)/pip install -q --no-index --no-deps torch >/dev/null 2>&1
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

# Azure Kinect / Orbbec Femto: pyk4a-bundle needs numpy < 2, the app numpy >= 2, so it lives in
# its own environment and runs in a helper process (handpose_live/sources/k4a_helper.py).
KINECT_VENV  := .venv-kinect
KINECT_STAMP := $(KINECT_VENV)/.installed

kinect: $(KINECT_STAMP)

$(KINECT_STAMP): | system-deps
	$(PYTHON) -m venv $(KINECT_VENV)
	$(KINECT_VENV)/bin/pip install -q --upgrade pip
	$(KINECT_VENV)/bin/pip install -q "numpy<2" "pyk4a-bundle==1.5.0"
	@touch $@

clean:
	rm -rf $(VENV) $(KINECT_VENV) build *.egg-info
