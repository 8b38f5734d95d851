# `make test` sets itself up on a machine that has only Python 3 (a .venv holding the project and
# its test and report extras: torch, torchvision, torchmetrics, pycocotools, matplotlib, pytest-xdist,
# ipykernel, nbclient) and runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
IMPL   ?= examples/layers_with_mistakes.py

.PHONY: setup test verify bench calibrate timing docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test,report]'
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# refcheck's exit status: 0 every function checked passes; 1 one fails or errors; 2 a usage or
# import problem, or nothing of the contract found. make says which, then exits 2 on 1 or 2 (as make
# does for any failing recipe): scripts that need 1 apart from 2 call .venv/bin/refcheck itself.
verify: $(STAMP)
	@$(BIN)/refcheck $(IMPL) $(ARGS); status=$$?; case $$status in \
	  0) ;; \
	  1) echo "refcheck exited with status 1: a function fails or errors" >&2 ;; \
	  *) echo "refcheck exited with status $$status: a usage or import problem, or nothing of the contract found" >&2 ;; \
	esac; exit $$status

docs: $(STAMP)
	$(BIN)/python -m refcheck.docs > docs/API.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(ARGS)

# worst error / allowed of every correct style, per function, output and dtype (thorough profile)
calibrate: $(STAMP)
	$(BIN)/python -m refcheck.calibration $(ARGS)

# refcheck on a full module, idle and while another CPU-bound process runs
timing: $(STAMP)
	$(BIN)/python benchmarks/verify_timing.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
