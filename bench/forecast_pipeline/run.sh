#!/usr/bin/env bash
# Forecast pipeline benchmark: (1) wall time of the default run, (2) the same walk-forward backtest
# (ridge + lightgbm, 7 horizons, 10 folds, purge gap h) in our engine and in skforecast.
# Usage: bash bench/forecast_pipeline/run.sh   (SKF_VENV=/tmp/skf-venv by default)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
SKF_VENV="${SKF_VENV:-/tmp/skf-venv}"
OUT="$ROOT/bench/forecast_pipeline/results"
mkdir -p "$OUT"

if [ ! -x "$SKF_VENV/bin/python" ]; then
  python3 -m venv "$SKF_VENV"
  "$SKF_VENV/bin/pip" install -q -r "$ROOT/bench/forecast_pipeline/requirements.txt"
fi

echo "=== default run (9 models x 7 horizons, charts), $(nproc) cores"
RUNS="$(mktemp -d)"
( cd "$ROOT/forecast" && /usr/bin/time -f "default_run_wall_s=%e user_s=%U sys_s=%S maxrss_kb=%M" \
    "$PY" -m pipelines.run --results-dir "$RUNS" --no-progress ) 2>&1 | tee "$OUT/default_run.log" | tail -16
rm -rf "$RUNS"

echo "=== walk-forward backtest: ours"
"$PY" "$ROOT/bench/forecast_pipeline/bench_ours.py" "$OUT"
echo "=== walk-forward backtest: skforecast"
"$SKF_VENV/bin/python" "$ROOT/bench/forecast_pipeline/bench_skforecast.py" "$OUT"
"$PY" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
o, s = json.loads((out / "ours.json").read_text()), json.loads((out / "skforecast.json").read_text())
for j in (1, 2):
    sk = s[f"skforecast_jobs{j}_s"]
    for k in ("fixed300", "es"):
        ours = o[f"ours_jobs{j}_{k}_s"]
        print(f"jobs={j} ours[{k}]={ours:.1f}s skforecast={sk:.1f}s ratio skforecast/ours={sk / ours:.2f}x")
PY
