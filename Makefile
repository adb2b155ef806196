# make run: install, build the demo database if there is none, start the dashboard.
# make test: the whole suite (PostgreSQL tests run when WEIBAO_TEST_PG_URL is set).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
PORT ?= 8501
# Test processes (pytest-xdist); 2 on this 2-core machine: the suite takes about 6 minutes instead of 11.
TEST_WORKERS ?= 2

.PHONY: run test install system browser demo bench bench-exports loadtest replica clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Debian's packages the project needs: chromium for the browser tests and kaleido's pictures (Playwright cannot
# download its own browser here), CJK fonts so Chinese renders and embeds, pango for WeasyPrint's PDFs, poppler
# (pdftotext, pdffonts, pdftoppm) and LibreOffice (headless) so the tests read produced files back and render them.
SYSTEM_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils libreoffice-impress libreoffice-writer
SYSTEM_TOOLS := chromium pdftotext pdffonts pdftoppm soffice

system:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || missing="$$missing libpango"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "安装系统软件包：$(SYSTEM_PACKAGES)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "缺少$$missing。请以 root 运行或手动安装：apt-get install $(SYSTEM_PACKAGES)"; fi; \
	fi

browser: system

demo: install
	$(BIN)/python -m data.demo --if-empty

run: install demo
	$(BIN)/python -m dashboard --server.port $(PORT)

test: install system
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python scripts/bench.py

bench-exports: install demo system
	$(BIN)/python scripts/bench_exports.py

# 20 logged-in browser sessions against one dashboard server for two minutes (loopback only): p50/p95, errors.
loadtest: install demo system
	$(BIN)/python scripts/loadtest.py

# A streaming replica of the local PostgreSQL on 127.0.0.1:5433 (docs/scale.md); `scripts/replica.py stop` removes it.
replica: install
	$(BIN)/python scripts/replica.py start

clean:
	rm -rf $(VENV) var artefacts .pytest_cache
