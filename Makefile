# Two entry points for a newcomer: `make run` and `make test`. Both work on a fresh clone
# with nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# `make run` serves like a small production site on the embedded default (real error pages,
# compressed static files); `make run DEBUG=1` gives Django's debug pages instead.
DEBUG ?= 0
RUN_ENV = DEBUG=$(DEBUG) SECRET_KEY="$$(cat .secret_key)" ALLOWED_HOSTS=$(HOST),localhost,127.0.0.1 \
	SITE_URL=http://$(HOST):$(PORT) SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0

.PHONY: run test lint messages bench deploy-local

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.run-deps

# A random key made once per checkout, so sessions survive restarts; never committed.
.secret_key: | $(BIN)/python
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

## run: install, migrate, load demo data and serve HTTP and WebSocket on http://$(HOST):$(PORT)
run: $(VENV)/.run-deps .secret_key
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  Chi bộ số is at http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: chibo-demo):"
	@echo "    admin      site admin (also /admin/)"
	@echo "    canbo      committee officer over Tỉnh ủy Quảng Trị"
	@echo "    bithu      secretary of Chi bộ Văn phòng Tỉnh ủy"
	@echo "    dangvien   member of Chi bộ Văn phòng Tỉnh ủy"
	@echo "    dangvien2  member of Chi bộ thôn An Lợi"
	@echo ""
	$(RUN_ENV) $(BIN)/uvicorn asgi:application --host $(HOST) --port $(PORT) --no-proxy-headers --no-access-log \
		--timeout-graceful-shutdown 5

## lint: ruff check and format check
lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## test: lint, check migrations, run every test
test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run -v1
	$(BIN)/pytest

## messages: re-extract and compile the Vietnamese translations (needs GNU gettext)
messages: $(VENV)/.dev-deps
	$(BIN)/python manage.py makemessages -l vi --no-obsolete --add-location=file --ignore=.venv --ignore=staticfiles --ignore=testdata
	$(BIN)/python manage.py compilemessages -l vi --ignore=.venv

## bench: print the benchmark figures
bench: $(VENV)/.dev-deps
	$(BIN)/python bench/run.py

## deploy-local: the production layout here: N uvicorn processes on PostgreSQL + Redis behind nginx
N ?= 2
DEPLOY_PORT ?= 8080
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chibo
REDIS_URL ?= redis://127.0.0.1:6379/0
deploy-local: $(VENV)/.run-deps .secret_key
	DEBUG=0 SECRET_KEY="$$(cat .secret_key)" ALLOWED_HOSTS=127.0.0.1,localhost \
		SITE_URL=http://127.0.0.1:$(DEPLOY_PORT) SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 \
		DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) \
		$(BIN)/python deploy/local.py --processes $(N) --port $(DEPLOY_PORT)
