# Две команды / two commands:
#   make reports  — установить всё и построить все отчёты по демонстрационным данным
#   make test     — установить всё и прогнать тесты
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SHNRO := $(VENV)/bin/shnro
YEAR ?= 2024
DATA ?= data/demo
OUT ?= reports/$(YEAR)

.PHONY: setup system-deps reports test lint lab demo-data clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

setup: $(VENV)/.installed system-deps

# Headless Chromium is used for the browser test of the HTML reports and the PDF collection.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Chromium не установлен: браузерные проверки будут пропущены"; \
	  else echo "Chromium не найден: браузерные проверки будут пропущены"; fi; }

reports: setup
	$(SHNRO) reports $(DATA) --year $(YEAR) --out $(OUT)

test: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadfile -q

lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

lab: setup
	$(VENV)/bin/jupyter lab shnro_lib/notebooks/

demo-data: setup
	$(SHNRO) demo-data $(DATA) --seed 0

clean:
	rm -rf $(VENV) reports/*/ data/processed data/cache
