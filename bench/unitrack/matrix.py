"""Model matrix: POST /api/v1/predict per model family, against three references, in the same run.

Per family (logistic regression, random forest 200, HistGradientBoosting 200, XGBoost, LightGBM), the
model is trained on synthetic students and served four ways at once, each one uvicorn/MLServer process:

* **api**: the UniTrack API (auth with real ES256 tokens, validation, explanation, rate limiter off,
  one PostgreSQL insert per request), once its compiled graph is verified;
* **bare**: ``reference_app.py``, the same engine call with no auth, database or middleware;
* **naive**: ``naive_app.py``, the one-file app a team writes first (sync handler, PyJWKClient, pandas
  ``predict_proba`` on the occlusion rows, SQLAlchemy commit);
* **mlserver**: MLServer 1.7.1 with its scikit-learn runtime, serving the model only (V2 REST, the
  1 + n-features rows of one explanation, no auth, no database), in its own virtualenv.

Closed loop, 16 keep-alive connections (``pyload.py`` for all four, so the client costs the same),
``--duration`` seconds per phase, the four interleaved within each of ``--rounds`` rounds; the
median req/s per target is reported with the issue's goals: api >= 3x naive, >= 0.6x bare, >= 1x
MLServer (>= 5x for forests and boosting).

    .venv/bin/python bench/unitrack/matrix.py [--duration 8] [--rounds 2] [--families lr,rf200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import phases  # beside this script, as are database.py and verdict.py: servers, load phases
from database import ensure_database
from verdict import RESULTS

from testkit.servers import stop, wait_up
from testkit.students import STUDENT, make_students

HERE = Path(__file__).resolve().parent


MLSERVER_REQUIREMENTS = HERE / "mlserver-requirements.txt"
PORTS = {"api": 18210, "bare": 18211, "naive": 18212, "mlserver": 18213}
TREES = {"rf200", "hgb200", "xgboost", "lightgbm"}


def families() -> dict[str, Any]:
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier

    return {
        "lr": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "rf200": lambda: RandomForestClassifier(200, random_state=0, n_jobs=1),
        "hgb200": lambda: HistGradientBoostingClassifier(max_iter=200, random_state=0),
        "xgboost": lambda: XGBClassifier(n_estimators=200, max_depth=4, n_jobs=1, random_state=0),
        "lightgbm": lambda: LGBMClassifier(n_estimators=200, n_jobs=1, random_state=0, verbose=-1),
    }


def api_env(db_url: str, key_path: Path, model_path: Path, loaded: Any, *, log_level: str) -> dict[str, str]:
    """The environment the API and the bare endpoint are started with (local ES256 tokens, rate limiter
    off, the model's baselines pinned so both score the same explanation rows)."""
    return {
        **os.environ,
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "DATABASE_URL": db_url,
        "LOCAL_AUTH_KEY_PATH": str(key_path),
        "MODEL_PATH": str(model_path),
        "LOG_LEVEL": log_level,
        "RATE_LIMIT_PREDICT": "0",
        "DB_POOL_SIZE": "16",
        "MODEL_WATCH_SECONDS": "0",
        "JWKS_URL": f"http://127.0.0.1:{PORTS['api']}/api/v1/auth/local/jwks.json",
        "BASELINES": json.dumps(dict(zip(loaded.schema.names, map(float, loaded.baselines), strict=True))),
    }


def mlserver_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"==> creating the MLServer virtualenv {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(MLSERVER_REQUIREMENTS)], check=True)
    return python


def start_mlserver(python: Path, model_path: Path, work: Path) -> subprocess.Popen[bytes]:
    folder = work / "mlserver"
    folder.mkdir(exist_ok=True)
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "http_port": PORTS["mlserver"],
                "grpc_port": PORTS["mlserver"] + 1,
                "metrics_port": PORTS["mlserver"] + 2,
                "debug": False,
            }
        )
    )
    (folder / "model-settings.json").write_text(
        json.dumps(
            {"name": "model", "implementation": "mlserver_sklearn.SKLearnModel", "parameters": {"uri": str(model_path)}}
        )
    )
    log = open(work / "mlserver.log", "wb")  # noqa: SIM115 - lives as long as the server
    mlserver = python.parent / "mlserver"
    return subprocess.Popen(
        [str(mlserver), "start", str(folder)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--families", default="lr,rf200,hgb200,xgboost,lightgbm")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="unitrack_matrix")
    parser.add_argument("--mlserver-venv", type=Path, default=Path("/tmp/mlserver-venv"))
    args = parser.parse_args()

    import jwt

    from app.core.config import Settings
    from app.core.local_auth import LocalSigner
    from app.ml.explain import perturbation_rows
    from app.ml.model_loader import load_model

    ml_python = mlserver_python(args.mlserver_venv)
    work = Path(tempfile.mkdtemp(prefix="unitrack-matrix-"))
    key_path = RESULTS / ".local_auth" / "es256_private.pem"
    RESULTS.mkdir(exist_ok=True)
    signer = LocalSigner(Settings(_env_file=None, app_env="dev", auth_mode="local", local_auth_key_path=key_path))
    tokens = [signer.issue(f"matrix-user-{i:02d}@bench.local") for i in range(args.users)]
    (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
    assert all(jwt.get_unverified_header(t)["alg"] == "ES256" for t in tokens)
    db_url = ensure_database(args.pg, args.db)
    predict_body = work / "predict.json"
    predict_body.write_text(json.dumps({"cod_persona": 8839, "cod_curso": "CS2H1", "features": STUDENT}))
    frame, passed = make_students(n_rows=3000)
    makers = families()
    results: dict[str, dict[str, Any]] = {}
    for family in args.families.split(","):
        model_path = work / family / "model.pkl"
        model_path.parent.mkdir()
        joblib.dump(makers[family]().fit(frame, passed), model_path)
        loaded = load_model(model_path)
        block = perturbation_rows(np.array([STUDENT[n] for n in loaded.schema.names], dtype=float), loaded.baselines)
        mlserver_body = work / family / "v2.json"
        mlserver_body.write_text(
            json.dumps(
                {
                    "inputs": [
                        {
                            "name": "input-0",
                            "shape": list(block.shape),
                            "datatype": "FP64",
                            "data": block.ravel().tolist(),
                        }
                    ],
                    "outputs": [{"name": "predict_proba"}],
                }
            )
        )
        env = api_env(db_url, key_path, model_path, loaded, log_level="WARNING")
        servers = {
            "api": phases.start_server("app.main:app", PORTS["api"], env, work / family / "api.log", []),
            "bare": phases.start_server(
                "reference_app:app", PORTS["bare"], env, work / family / "bare.log", ["--app-dir", str(HERE)]
            ),
            "mlserver": start_mlserver(ml_python, model_path, work / family),
        }
        try:
            wait_up(f"http://127.0.0.1:{PORTS['api']}/api/v1/readyz", servers["api"])
            servers["naive"] = phases.start_server(
                "naive_app:app", PORTS["naive"], env, work / family / "naive.log", ["--app-dir", str(HERE)]
            )
            wait_up(f"http://127.0.0.1:{PORTS['naive']}/healthz", servers["naive"])
            wait_up(f"http://127.0.0.1:{PORTS['bare']}/healthz", servers["bare"])
            wait_up(f"http://127.0.0.1:{PORTS['mlserver']}/v2/health/ready", servers["mlserver"], timeout=120)
            ready = phases.wait_serving(f"http://127.0.0.1:{PORTS['api']}/api/v1/readyz", lambda d: d["model"])
            phases.wait_serving(f"http://127.0.0.1:{PORTS['bare']}/healthz", lambda d: d)
            targets = {
                "naive": ("/predict", predict_body),
                "bare": ("/predict", predict_body),
                "api": ("/api/v1/predict", predict_body),
                "mlserver": ("/v2/models/model/infer", mlserver_body),
            }
            rps: dict[str, list[float]] = {name: [] for name in targets}
            for name, (path, body) in targets.items():  # warm-up
                phases.run_load("python", phases.Endpoint(PORTS[name], "POST", path, work / "tokens.txt", body), 2)
            for _ in range(args.rounds):
                for name, (path, body) in targets.items():
                    endpoint = phases.Endpoint(PORTS[name], "POST", path, work / "tokens.txt", body)
                    load = phases.run_load("python", endpoint, args.duration)
                    if load["non_2xx"] or load["socket_errors"]:
                        raise SystemExit(f"{family}/{name}: {load['non_2xx']} non-2xx, {load['socket_errors']}")
                    rps[name].append(load["rps"])
                    print(
                        f"    {family:<9} {name:<9} {load['rps']:8.0f} req/s  p50 {load['p50_ms']:6.1f} ms", flush=True
                    )
            results[family] = {
                "median_rps": {n: statistics.median(v) for n, v in rps.items()},
                "rps": rps,
                "serving": (ready["model"].get("serving") or {}).get("path"),
            }
        finally:
            for process in servers.values():
                stop(process)
            time.sleep(0.5)
    return report(args, results)


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> int:
    print(
        f"\nmedian of {args.rounds} rounds, {args.duration:.0f}s each, {args.users} connections, closed loop (pyload.py)"
    )
    print(
        f"{'family':<10}{'path':<9}{'api':>8}{'bare':>8}{'naive':>8}{'mlserver':>10}"
        f"{'api/naive':>11}{'api/bare':>10}{'api/mlsrv':>11}  goals"
    )
    ok = True
    for family, r in results.items():
        m = r["median_rps"]
        vs_naive, vs_bare, vs_ml = m["api"] / m["naive"], m["api"] / m["bare"], m["api"] / m["mlserver"]
        need_ml = 5.0 if family in TREES else 1.0
        passed = vs_naive >= 3 and vs_bare >= 0.6 and vs_ml >= need_ml
        ok &= passed
        print(
            f"{family:<10}{r['serving'] or '-':<9}{m['api']:8.0f}{m['bare']:8.0f}{m['naive']:8.0f}{m['mlserver']:10.0f}"
            f"{vs_naive:10.1f}x{vs_bare:9.2f}x{vs_ml:10.1f}x  {'PASS' if passed else 'FAIL'} "
            f"(>=3x, >=0.6x, >={need_ml:g}x)"
        )
    (RESULTS / "matrix-latest.json").write_text(
        json.dumps(
            {"args": vars(args) | {"mlserver_venv": str(args.mlserver_venv)}, "results": results}, indent=1, default=str
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
