#!/usr/bin/env bash
# make test (contracts part): install from the lockfile, fail on drift between the committed contracts
# and what the code produces now (naming the schemas that changed), then run the Node tests.
# Every step runs; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")"
PY="${CONTRACTS_PYTHON:-../.venv/bin/python}"
failed=()

echo "--- contracts: npm ci"
npm ci --no-audit --no-fund --silent || { echo "contracts: npm ci failed" >&2; exit 1; }

echo "--- contracts: drift check"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/contracts-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if "$PY" scripts/export_openapi.py --out "$tmp/openapi" >/dev/null \
  && node scripts/generate.mjs --openapi "$tmp/openapi" --out "$tmp/generated" >/dev/null; then
  node scripts/drift.mjs --fresh "$tmp" || failed+=("drift")
else
  echo "contracts: could not regenerate the contracts (see above)" >&2
  failed+=("regenerate")
fi

echo "--- contracts: node tests"
npm test --silent || failed+=("tests")

if [ ${#failed[@]} -gt 0 ]; then
  echo "contracts: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "contracts: OK"
