# ClientTier: `make run` starts the mesh, `make test` runs every test. Both set up what they need.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf
PROTOS := $(shell find protos -name '*.proto')

.PHONY: setup run test lint format stubs clean
.DEFAULT_GOAL := run

setup: $(VENV)/.installed gen/.generated

# The venv installs the pinned tree; a .pth puts the checkout and the generated stubs on its path.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock '.[dev]'
	$(PY) -c "import sysconfig; open(sysconfig.get_paths()['purelib'] + '/clienttier-checkout.pth', 'w').write('$(CURDIR)\n$(CURDIR)/gen\n')"
	touch $@

stubs: gen/.generated
gen/.generated: $(VENV)/.installed $(PROTOS)
	rm -rf gen && mkdir -p gen
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTOS)
	touch $@

$(BUF):
	npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

run: setup
	$(PY) -m ops.launcher

test: setup
	$(PY) -m pytest

lint: setup $(BUF)
	$(BUF) lint
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) gen .tools .run
