# make run: install, build the demo database if there is none, start the dashboard.
# make test: the whole suite (PostgreSQL tests run when WEIBAO_TEST_PG_URL is set).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
PORT ?= 8501

.PHONY: run test install browser demo bench clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Debian's chromium for the browser tests and PNG exports, and CJK fonts so Chinese renders;
# Playwright cannot download its own browser here.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "请以 root 运行或手动安装：apt-get install chromium fonts-noto-cjk（浏览器测试需要）"; fi; \
	fi

demo: install
	$(BIN)/python -m data.demo --if-empty

run: install demo
	$(BIN)/python -m streamlit run dashboard/app.py --server.port $(PORT)

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) var artefacts .pytest_cache
