# The whole set-up: `make run` and `make test`. Both create (or reuse) .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run sample screenshots gui-bench soak package package-smoke test lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch/torchvision first, pinned, so pip takes the local builds instead of downloading.
	$(PY) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The workstation, screening bags from the built-in simulated scanner with the shipped models.
run: $(STAMP)
	$(VENV)/bin/screener-gui

screenshots: $(STAMP)
	$(PY) -m screener_gui.gui.screenshots --out docs/images

gui-bench: $(STAMP)
	$(PY) -m screener_gui.gui.bench

# A shift in minutes: 1,000 bags through the workstation's pipeline thread, memory every 50.
soak: $(STAMP)
	$(VENV)/bin/screener soak --bags 1000 --device cpu

# The one-folder application (packaging/README.md): dist/xray-screener/, then its smoke check.
package: $(STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	$(VENV)/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/xray-screener.spec
	cp packaging/xray-screener.desktop dist/xray-screener/

package-smoke:
	dist/xray-screener/xray-screener --smoke

sample: $(STAMP)
	$(VENV)/bin/screener synth --out sample --count 12 --seed 1
	$(VENV)/bin/screener contact-sheet sample --out sample/contact_sheet.png
	@echo "Sample bags: sample/images/  contact sheet: sample/contact_sheet.png"

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check screener_gui tests

lint: $(STAMP)
	$(VENV)/bin/ruff check screener_gui tests
	$(VENV)/bin/ruff format --check screener_gui tests

clean:
	rm -rf $(VENV) sample build *.egg-info
