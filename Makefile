# nianbao — `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Debian packages the project needs (checked with dpkg, installed with apt-get when missing).
# LibreOffice converts DOC/WPS/RTF/ODT/XLS/ET and renders PDFs; postgresql is the real server the
# store tests start in a temp dir; chromium is the real browser of the web app's end-to-end tests.
APT_PACKAGES ?= python3-venv libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk fonts-wqy-zenhei postgresql chromium

.PHONY: setup run test bench docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	./scripts/ensure-apt.sh $(APT_PACKAGES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ocr,postgres,charts,cluster,web]'
	@# Bytecode once, up front: where PYTHONDONTWRITEBYTECODE is set, every start would recompile.
	@$(BIN)/python -m compileall -q src/nianbao >/dev/null
	@touch $@

# The main job: check the example reports and show the result (exit 1 = findings, which is the point),
# keep them in the embedded SQLite store (nianbao.db), show the corpus statistics by year, then start
# the web app on 127.0.0.1:$(PORT) over that store (Ctrl+C stops it).
PORT ?= 8000
run: setup
	@$(BIN)/nianbao check examples/*.txt examples/*.md --tables; rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@$(BIN)/nianbao ingest examples/ --map examples/年报库-玉乐县/units.csv --db nianbao.db
	@$(BIN)/nianbao stats --db nianbao.db --by year
	@$(BIN)/nianbao serve --db nianbao.db --host 127.0.0.1 --port $(PORT)

# The whole test suite; pytest's "no tests collected" (exit 5) is a failure, not a pass.
test: setup
	@$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: setup
	$(BIN)/python bench/bench_check.py

docs: setup
	$(BIN)/python -m nianbao.outputs.docs

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist
