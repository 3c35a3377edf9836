"""CLI entry point: ``cd forecast && python -m pipelines.run [options]``.

Loads a series, runs the walk-forward for every model x horizon in parallel processes, refits on all data
for the live forecasts, writes the run through api/schemas into a staging directory and publishes it
atomically (publish.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# Pin math libraries to one thread before numpy/sklearn load: the parallelism is across processes.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from tqdm import tqdm  # noqa: E402

from api.schemas.run import DataInfo, RunSummary  # noqa: E402
from pipelines import consensus, data, models, outputs, publish, walkforward  # noqa: E402
from pipelines.assemble import assemble  # noqa: E402
from pipelines.features import model_frame  # noqa: E402
from pipelines.methodology import METHODOLOGY  # noqa: E402

DEFAULT_HORIZONS = (1, 5, 10, 15, 20, 25, 30)
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
# Submit slow tasks first so the two workers finish together (longest-processing-time-first).
COST = {"catboost": 5, "hybrid_catboost": 4, "xgboost": 3, "hybrid_xgboost": 3, "lightgbm": 2,
        "hybrid_lightgbm": 2, "huber": 1, "ridge": 0, "bayesian_ridge": 0}


def _significant(p_value: float | None) -> bool:
    # A p-value of exactly 0.0 (underflow on strong signals) is the most significant, not "missing".
    return p_value is not None and p_value < 0.05


def _int_list(text: str) -> list[int]:
    try:
        vals = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not vals or vals[0] < 1 or vals[-1] > 30:
        raise argparse.ArgumentTypeError("horizons must be between 1 and 30 trading days")
    return vals


def _model_list(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in models.MODEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {unknown}; choose from {','.join(models.MODEL_NAMES)}")
    return list(dict.fromkeys(names))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=data.DEFAULT_DATA,
                   help=f"bundled series ({', '.join(sorted(data.BUNDLED))}) or a CSV path (default: %(default)s)")
    p.add_argument("--price-column", default=None, help="price column (default: auto: adj close, close, price)")
    p.add_argument("--models", type=_model_list, default=list(models.MODEL_NAMES), help="comma-separated")
    p.add_argument("--horizons", type=_int_list, default=list(DEFAULT_HORIZONS), help="e.g. 1,5,10")
    p.add_argument("--results-dir", default=os.environ.get("RESULTS_DIR", str(DEFAULT_RESULTS)))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", type=int, default=5, help="complete runs kept on disk (default: %(default)s)")
    p.add_argument("--folds", type=int, default=walkforward.N_FOLDS, help="walk-forward refits")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p.parse_args(argv)


def run_pipeline(args: argparse.Namespace) -> tuple[str, Path]:
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    generated_at = datetime.now(UTC)
    series = data.load_series(args.data, args.price_column, max(args.horizons))
    feats, aligned = model_frame(series.frame)
    X, price = feats.to_numpy(float), aligned["price"].to_numpy(float)
    dates, logp = aligned.index, np.log(price)
    for h in args.horizons:  # fail fast, before any worker starts
        try:
            walkforward.make_folds(len(price), h, args.folds)
        except ValueError as exc:
            raise data.DataError(str(exc)) from exc
    timings["load_and_features_s"] = time.perf_counter() - t_start

    t0 = time.perf_counter()
    tasks = sorted(((m, h) for m in args.models for h in args.horizons), key=lambda t: (-COST[t[0]], -t[1]))
    jobs = max(1, min(args.jobs, len(tasks)))
    gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(walkforward.run_task)(m, h, X, price, args.seed, args.folds) for m, h in tasks)
    results = {}
    for r in tqdm(gen, total=len(tasks), desc="model x horizon", unit="fit", disable=args.no_progress,
                  file=sys.stderr):
        results[(r.model_name, r.horizon)] = r
    timings["walk_forward_s"] = time.perf_counter() - t0
    timings["task_cpu_s"] = float(sum(r.seconds for r in results.values()))

    a = assemble(results, args.models, args.horizons, aligned["price"], list(feats.columns), generated_at)
    run_id = publish.new_run_id(generated_at)
    results_dir = Path(args.results_dir)
    staged = publish.staging_dir(results_dir, run_id)
    try:
        t0 = time.perf_counter()
        outputs.write_tables(staged, a, results, dates, logp)
        made = outputs.write_charts(staged, a, results, dates, logp, args.models, args.horizons, jobs)
        images = outputs.image_manifest(staged, made, generated_at)
        timings["outputs_and_charts_s"] = time.perf_counter() - t0
        timings["total_before_publish_s"] = time.perf_counter() - t_start
        first = results[(args.models[0], args.horizons[0])]
        summary = RunSummary(
            run_id=run_id, generated_at=generated_at, best_model_overall=a.best_model_overall,
            avg_da_by_model=a.avg_da_by_model, horizons=args.horizons, n_models=len(args.models),
            data=DataInfo(source=series.source, price_column=series.price_column,
                          start_date=series.frame.index[0].date(), end_date=series.frame.index[-1].date(),
                          n_rows=len(series.frame), last_price=float(price[-1]), last_date=dates[-1].date(),
                          has_volume=series.has_volume),
            feature_names=list(feats.columns), baselines=a.baselines, significance=a.significance,
            parameters=_parameters(args, jobs, len(price), dates, first, results),
            timings={k: round(v, 3) for k, v in timings.items()}, methodology=METHODOLOGY)
        outputs.write_bundle(staged, summary, a, images)
        final = publish.publish_run(results_dir, staged, run_id, keep=args.keep)
    except BaseException:
        # The previous run stays published; don't leave our half-written staging dir behind.
        publish.discard_staging(staged)
        raise
    _print_table(a, args.models, args.horizons, final, time.perf_counter() - t_start)
    return run_id, final


def _parameters(args, jobs, n_rows, dates, first, results) -> dict:
    its = [it for r in results.values() for it in r.best_iterations]
    return {
        "models": args.models, "horizons": args.horizons, "seed": args.seed, "jobs": jobs, "keep": args.keep,
        "n_folds": args.folds, "test_fraction": walkforward.TEST_FRACTION, "rows_after_warmup": n_rows,
        "warmup_rows": data.FEATURE_WARMUP, "purge_gap": "h rows (training rows i < first_test_row - h)",
        "test_start": dates[first.test_rows[0]].date().isoformat(),
        "refit_every_rows": int(np.median([f.test_end - f.test_start for f in first.folds])),
        "boosting": models.BOOST_PARAMS, "ridge_alpha": models.RIDGE_ALPHA, "hybrid_base": models.HYBRID_BASE,
        "consensus_skill_alpha": consensus.SKILL_ALPHA,
        "boosting_best_iteration_median": float(np.median(its)) if its else None,
    }


def _print_table(a, model_names, horizons, final: Path, seconds: float) -> None:
    da = {(m.model_name, m.horizon): m.da_test for m in a.metrics}
    pv = {(s.model_name, s.horizon): s.p_value for s in a.significance}
    head = f"{'model':<17}" + "".join(f"{'h=' + str(h):>8}" for h in horizons) + f"{'mean':>8}"
    lines = ["", "Out-of-sample directional accuracy (%), * = PT p < 0.05", head, "-" * len(head)]
    for m in sorted(model_names, key=lambda m: -a.avg_da_by_model[m]):
        cells = "".join(f"{da[(m, h)]:>7.1f}{'*' if _significant(pv[(m, h)]) else ' '}" for h in horizons)
        lines.append(f"{m:<17}{cells}{a.avg_da_by_model[m]:>8.1f}")
    base = {b.horizon: b for b in a.baselines}
    lines.append(f"{'always up':<17}" + "".join(f"{base[h].always_up_da:>7.1f} " for h in horizons))
    lines.append(f"{'last h-day sign':<17}" + "".join(f"{base[h].last_sign_da:>7.1f} " for h in horizons))
    cons = {c.horizon: c for c in a.consensus}
    lines.append(f"{'consensus dir':<17}" + "".join(f"{cons[h].consensus_direction:>7} " for h in horizons))
    lines.append(f"\nbest model: {a.best_model_overall}   published: {final}   wall time: {seconds:.1f}s")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run_pipeline(args)
    except data.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
