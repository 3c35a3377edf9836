#!/usr/bin/env bash
# Runs every suite and reports all failures rather than stopping at the first one.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
failed=()

run_suite() {
  local name="$1" dir="$2"; shift 2
  echo "=== ${name}"
  if ! (cd "$dir" && "$@"); then failed+=("$name"); fi
}

# First, so a lint or type error shows within a minute, before the long suites (scripts/lint.sh, make lint).
run_suite "Lint and types (ruff, ruff format --check, mypy)" . bash scripts/lint.sh
run_suite "UniTrack API (backend/)" backend "$PY" -m pytest -q
run_suite "Forecast service (forecast/)" forecast "$PY" -m pytest -q
run_suite "Shared kit (servicekit/): one error shape in both services" servicekit "$PY" -m pytest -q
# Headless Chromium (Debian's chromium, chromium-driver; make test installs them as root) against both APIs.
run_suite "Browser (browser/): CORS, login, dashboard, chart and /docs in Chromium" browser "$PY" -m pytest -q
# After the Python suites, which refresh the recorded responses under contracts/fixtures/.
run_suite "Contracts (contracts/): drift check and Zod tests" . bash contracts/check.sh

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}" >&2
  exit 1
fi
echo "all suites passed"
