# Two commands for a fresh clone:  `make lab`  (explore)  and  `make test`  (check everything).
# Windows users without make: see README.md for the same steps as plain pip/pytest/jupyter commands.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NB     ?= notebooks
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install lab test unit nbval notebooks images bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m lecture_utils.install_check
	touch $(STAMP)

install: $(STAMP)  ## create .venv (if missing) and install everything pinned

lab: install  ## open JupyterLab on notebooks/
	$(PY) -m lecture_utils.lab $(LAB_ARGS)

test: install  ## unit tests, then every notebook under strict nbval
	$(PY) -m pytest tests
	$(PY) -m pytest $(NBVAL) notebooks

unit: install
	$(PY) -m pytest tests

nbval: install
	$(PY) -m pytest $(NBVAL) notebooks

notebooks: install  ## re-execute every notebook in place, top to bottom, in its own folder (NB=path for one)
	$(PY) -m lecture_utils.run_notebooks $(NB)

images: install  ## regenerate everything in images/ from data
	$(PY) -m lecture_utils.figures images

bench: install  ## benchmarks against the peers each issue names (installs their extra packages)
	$(PY) -m pip install -r benchmarks/requirements.txt
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
