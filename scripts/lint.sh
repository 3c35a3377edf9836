#!/usr/bin/env bash
# make lint, and the first suite of make test: ruff (lint rules and import order), the ruff format
# check and mypy, strict on servicekit, backend/app, forecast/api, forecast/pipelines and
# forecast/runcontract. Settings: the root pyproject.toml.
# Runs every check and reports every failure.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"  # as modules: works wherever the venv takes its packages from
failed=()
"$PY" -m ruff check . || failed+=("ruff check (.venv/bin/ruff check --fix . fixes most)")
"$PY" -m ruff format --check . || failed+=("ruff format --check (.venv/bin/ruff format . fixes it)")
"$PY" -m mypy || failed+=("mypy")
if [ ${#failed[@]} -gt 0 ]; then
  printf 'lint: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
