"""What `make mutants` mutates: each module's files, the tests that judge them, the databases it runs
on and its time box (triage in docs/mutation.md). Read by mutation_runs.py and mutation_report.py."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / ".mutmut"
REPORT = ROOT / "docs" / "mutation-report.md"
MUTMUT = Path(sys.executable).with_name("mutmut")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Each database half of the parametrised suites on its own (testkit/databases.py: TEST_DB).
POSTGRES = {"CI": "true", "TEST_DATABASE_URL": PG_URL, "TEST_DB": "postgres"}
CI = {"CI": "true"}
SQLITE = {"CI": "true", "TEST_DB": "sqlite"}
# Best first: the verdict of a mutant run on several databases is its best one.
RANK = ["killed", "timeout", "segfault", "suspicious", "survived", "no tests", "not checked", "skipped"]


@dataclass(frozen=True)
class Module:
    """One mutmut run: the files it mutates (each a row of the report) and the tests that judge them."""

    service: str  # backend | forecast
    paths: list[str]  # relative to the service
    tests: list[str]
    variants: dict[str, dict[str, str]] = field(default_factory=lambda: {"ci": CI})
    # Extra pytest arguments, e.g. a -k filter that keeps a slow module inside the time box.
    pytest_args: list[str] = field(default_factory=list)
    # mutmut's defaults: CPU limit = 2 x multiplier x (the tests' measured time + constant)
    timeout_multiplier: float = 15.0
    timeout_constant: float = 1.0
    isolation: str = "fork"  # mutmut's process_isolation
    # Mutant-name globs (module.x_function / module.xǁClassǁmethod): the functions the time box keeps.
    only: list[str] = field(default_factory=list)


FORECAST_COPY = ["api", "pytest.ini", "alembic.ini"]
BACKEND_COPY = ["pytest.ini", "alembic.ini"]


def _methods(module: str, *names: str) -> list[str]:
    return [f"{module}.{n}__mutmut_*" for n in names]


MODULES: dict[str, Module] = {
    "metrics": Module(
        "forecast",
        ["pipelines/metrics.py"],
        [
            "tests/unit/test_metric_oracles.py",
            "tests/unit/test_significance_oracles.py",
            "tests/pipeline/test_metrics.py",
            "tests/unit/test_metric_edge_cases.py",
        ],
    ),
    "walkforward": Module(
        "forecast",
        ["pipelines/walkforward.py"],
        [
            "tests/pipeline/test_fitted_rows.py",
            "tests/pipeline/test_leakage.py",
            "tests/pipeline/test_walkforward_outputs.py",
            "tests/pipeline/test_fold_limits.py",
        ],
        # Time box (docs/mutation.md): every run_task mutant reruns the fitted-rows grid and a mutated
        # loop bound can make one run for minutes. Two horizons of the linear, boosting and hybrid kinds
        # go through every run_task line (best_iteration included). mutmut's CPU limit scales with the
        # tests' own time, which is too tight for a forked pytest with boosting threads: a fixed 10 s more.
        # Forked from the process that ran the stats, a worker inherits a started OpenMP pool and
        # XGBoost hangs in it, so survivors showed as timeouts; a fork server that only collected
        # the tests does not have one.
        pytest_args=["-k", "not fits_a_target or ridge-5 or xgboost-20"],
        timeout_multiplier=3,
        timeout_constant=10,
        isolation="forkserver",
    ),
    "consensus": Module(
        "forecast",
        ["pipelines/consensus.py"],
        ["tests/pipeline/test_consensus.py", "tests/pipeline/test_consensus_values.py"],
    ),
    # Time box (docs/mutation.md): each backend mutant pays a pytest session (database, JWKS server,
    # an app per test), ~5-10 s, so only the functions a request goes through are mutated.
    "security": Module(
        "backend",
        ["app/core/security.py"],
        [
            "tests/test_token_cache.py",
            "tests/test_jwks_cache.py",
            "tests/test_auth_me.py",
            "tests/test_token_rejection_reasons.py",
        ],
        {"postgresql": POSTGRES},
        only=_methods(
            "app.core.security",
            "xǁTokenVerifierǁ_verify",
            "xǁTokenVerifierǁ_key_for",
            "xǁTokenVerifierǁcached",
            "xǁTokenVerifierǁverify",
            "xǁVerifiedTokenCacheǁget",
            "xǁVerifiedTokenCacheǁput",
        ),
    ),
    # The history repository and the inference store share their tests, so one run mutates both.
    # Time box (docs/mutation.md): the request path of /predict, /whatif, /history and /auth/me, with the
    # Idempotency-Key lookups and the rate-limit count in the write. The two slowest tests are left out:
    # the compiled-model half of the thread test (the reference half goes through the same store calls)
    # and the black-holed database (a 5 s wait for its timeout; the refused-database test covers the path).
    "store": Module(
        "backend",
        ["app/db/repository.py", "app/db/inference_store.py", "app/db/sql_inference_store.py"],
        [
            "tests/test_history.py",
            "tests/test_inference_store.py",
            "tests/test_predict_mock.py",
            "tests/test_idempotency.py",
            "tests/test_auth_me.py",
            "tests/test_metrics.py",
            "tests/test_history_order.py",
            "tests/test_stored_rows.py",
            "tests/test_predict_batch.py",
            "tests/faults/test_idempotent_retry.py",
            "tests/faults/test_rate_limit.py",
            "tests/faults/test_db_outage.py",
        ],
        {"postgresql": POSTGRES, "sqlite": SQLITE},
        pytest_args=["-k", "not compiled_on_the_loop and not black_holed"],
        only=_methods(
            "app.db.repository",
            "x_ensure_user",
            "x_add_inference",
            "x_is_postgres",
            "x__insert_for",
            "x_add_idempotency_key",
            "x_find_idempotency_key",
            "x_delete_expired_idempotency_keys",
        )
        + _methods(
            "app.db.inference_store",
            "xǁPgInferenceStoreǁadd",
            "xǁPgInferenceStoreǁhistory_page",
            "xǁPgInferenceStoreǁfind_key",
            "xǁPgInferenceStoreǁprune_keys",
            "xǁPgInferenceStoreǁconnections_in_use",
            "xǁPgInferenceStoreǁadd_batch",
            "x_to_json",
            "x_is_key_conflict",
            "x_build_inference_store",
        )
        + _methods(
            "app.db.sql_inference_store",
            "xǁSqlInferenceStoreǁadd",
            "xǁSqlInferenceStoreǁadd_batch",
            "xǁSqlInferenceStoreǁhistory_page",
            "xǁSqlInferenceStoreǁfind_key",
            "xǁSqlInferenceStoreǁprune_keys",
            "x__add_batch",
        ),
    ),
}
