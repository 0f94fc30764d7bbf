# Everything a fresh machine with Python 3.11 needs: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo/dia_chi_demo.mrc
export FLASK_APP := app

.PHONY: install run serve demo-user test bench translations clean

install: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations >/dev/null

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

run: install
	$(BIN)/flask --app app init
	$(BIN)/flask --app app catalog import $(DEMO)
	@if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: no demo transfers"; else $(BIN)/flask --app app exchange demo; fi
	$(BIN)/flask --app app search sync
	@$(MAKE) --no-print-directory demo-user
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

# Production: gunicorn with several workers (gunicorn.conf.py), JSON logs on stdout. Set DATABASE_URL (PostgreSQL),
# SECRET_KEY, INDEX_DIR and BIND as the README's Production section says.
serve: install
	$(BIN)/flask --app app init
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# A coordinator to try the demo with, only in the local demo database (never where DATABASE_URL points):
# created on the first run, given a new random password on every run, which is printed.
demo-user: install
	@if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: no demo user (see README: flask --app app users create)"; exit 0; fi; \
	password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(9))'); \
	if $(BIN)/flask --app app users list | grep -q '^demo '; then \
		$(BIN)/flask --app app users set-password demo --password "$$password" >/dev/null; \
	else \
		$(BIN)/flask --app app users create demo --role coordinator --password "$$password" >/dev/null; \
	fi && echo "Đăng nhập: http://127.0.0.1:5000/login  tên: demo  mật khẩu: $$password (điều phối viên, chỉ CSDL demo)"

# The browser tests (tests/browser) need Chromium and axe-core (npm ci in tests/browser); without them, or on
# PostgreSQL, they skip and this says why in one line.
test: install
	@$(BIN)/python -m tests.browser.readiness
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/import_bench.py --records 100000

# After changing user-facing strings: refresh the template and the catalogs, then translate.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k counted:1,2 -o translations/messages.pot --no-location \
		--omit-header --ignore-dirs='.venv bench tests instance node_modules' .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations  # no guesses: translate

clean:
	rm -rf $(VENV) instance .pytest_cache
