"""Measures the serving engine's in-process latency for a model (no HTTP, no database).

    python ml_models/src/measure_latency.py [--model ml_models/models/model.pkl] [--n 2000] [--threads 16]

Prints p50/p99 of ``engine.predict`` single-threaded, then with ``--threads`` threads calling at
once (which shows the GIL contention the API will see with concurrent clients).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.services.engine_loading import load_engine

REPO_ROOT = Path(__file__).resolve().parents[2]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3
    return f"p50={p50:.3f} ms  p99={p99:.3f} ms  n={len(ordered)}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "ml_models" / "models" / "model.pkl")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    engine = load_engine(args.model)
    print(f"engine: mode={engine.status()['mode']} version={engine.version} features={engine.feature_names}")
    # The spec's example body (the card fills the other features); else every explanation baseline.
    features = {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3}
    baselines = engine.status().get("baselines")
    if baselines and not set(features) <= set(engine.feature_names):
        features = {name: entry["value"] for name, entry in baselines.items()}

    def timed_predict(_: int = 0) -> float:
        started = time.perf_counter()
        engine.predict(features)
        return time.perf_counter() - started

    for _ in range(200):
        timed_predict()
    print("predict, 1 thread:         ", _percentiles([timed_predict() for _ in range(args.n)]))
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        started = time.perf_counter()
        samples = list(pool.map(timed_predict, range(args.n)))
        elapsed = time.perf_counter() - started
    print(f"predict, {args.threads} threads:       ", _percentiles(samples), f" throughput={args.n / elapsed:.0f}/s")
    deltas = {engine.feature_names[0]: 1.0} if engine.feature_names else {}
    whatif = []
    for _ in range(args.n // 4):
        started = time.perf_counter()
        engine.whatif(features, deltas)
        whatif.append(time.perf_counter() - started)
    print("whatif, 1 thread:          ", _percentiles(whatif))
    return 0


if __name__ == "__main__":
    sys.exit(main())
