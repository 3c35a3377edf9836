#!/usr/bin/env bash
# make contracts: export both OpenAPI documents (no server started), then regenerate the Zod schemas
# and TypeScript types under src/generated/. Deterministic: running it twice changes nothing.
set -euo pipefail
cd "$(dirname "$0")"
PY="${CONTRACTS_PYTHON:-../.venv/bin/python}"
[ -x "$PY" ] || { echo "generate.sh: $PY not found; run 'make venv' (or 'make dev-deps') first" >&2; exit 1; }
[ -d node_modules ] || npm ci --no-audit --no-fund --silent
"$PY" scripts/export_openapi.py --out openapi
node scripts/generate.mjs --openapi openapi --out src/generated
echo "generate.sh: contracts/openapi/*.json and contracts/src/generated/ are up to date"
