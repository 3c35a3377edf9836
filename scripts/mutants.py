"""`make mutants`: mutation testing of the critical modules with mutmut (triage in docs/mutation.md).

Each module runs alone, in its own scratch project under .mutmut/<module>/ (git-ignored): a copy of its
service (backend/ or forecast/) plus contracts/, with a [tool.mutmut] config naming the one file to
mutate and only the tests that exercise it. mutmut then copies that project into mutants/ and runs the
tests from there. The copy keeps the repository's layout, so the tests' `parents[n]` paths (contracts/,
alembic.ini) resolve inside the scratch project and a run never rewrites contracts/fixtures/.

UniTrack's history repository and inference store have a PostgreSQL path and an SQLite path, and CI runs
the backend suite on both, so those modules run once per database: a mutant counts as killed when
either run kills it.

    .venv/bin/python scripts/mutants.py                 # every module, then docs/mutation-report.md
    .venv/bin/python scripts/mutants.py metrics consensus
    .venv/bin/python scripts/mutants.py --report-only   # rebuild the report from the last runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
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


_FORECAST_COPY = ["api", "pytest.ini", "alembic.ini"]
_BACKEND_COPY = ["pytest.ini", "alembic.ini"]


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
            "x_list_inferences",
            "x__is_postgres",
            "x__insert_for",
            "x__user_params",
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
            "xǁSqlInferenceStoreǁ_add",
            "xǁSqlInferenceStoreǁ_add_batch",
            "xǁSqlInferenceStoreǁ_history_page",
            "xǁSqlInferenceStoreǁ_find_key",
            "xǁSqlInferenceStoreǁ_prune_keys",
            "x__history_row",
        ),
    ),
}


def _toml_list(items: list[str]) -> str:
    return json.dumps(items)  # a JSON array of strings is a TOML array


def prepare(name: str, variant: str, module: Module) -> Path:
    """A fresh scratch project: the service, contracts/ beside it, and the module's mutmut config."""
    project = SCRATCH / f"{name}-{variant}"
    shutil.rmtree(project, ignore_errors=True)
    junk = shutil.ignore_patterns("__pycache__", ".pytest_cache", "mutants", "*.db", "node_modules", "results")
    shutil.copytree(ROOT / module.service, project, ignore=junk)
    shutil.copytree(ROOT / "contracts", project / "contracts", ignore=junk)
    packages = sorted({path.split("/")[0] for path in module.paths})
    tests = [t for t in module.tests if (project / t).exists()]
    also_copy = _BACKEND_COPY if module.service == "backend" else _FORECAST_COPY
    (project / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        f"source_paths = {_toml_list(packages)}\n"
        f"only_mutate = {_toml_list(module.paths)}\n"
        f"also_copy = {_toml_list(also_copy)}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        # The fixture recorder and pytest's cache must not write between forked workers.
        f"pytest_add_cli_args = {_toml_list(['-p', 'no:cacheprovider', *module.pytest_args])}\n"
        # A scratch copy is not a git checkout of its own; change detection would look at the repo.
        "use_git_change_detection = false\n"
        f"timeout_multiplier = {module.timeout_multiplier}\n"
        f"timeout_constant = {module.timeout_constant}\n"
        f"process_isolation = {json.dumps(module.isolation)}\n"
    )
    return project


def run_variant(name: str, variant: str, module: Module, max_children: int, mutants: list[str] | None = None) -> dict:
    project = prepare(name, variant, module)
    selection = mutants if mutants is not None else module.only
    env = {**os.environ, **module.variants[variant], "PYTHONDONTWRITEBYTECODE": "1"}
    env = {k: v for k, v in env.items() if v != ""}
    started = time.monotonic()
    with open(project / "run.log", "w") as log:
        rc = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(max_children), *selection],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ).returncode
    seconds = round(time.monotonic() - started)
    if rc != 0:
        tail = (project / "run.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed on {name} ({variant}), exit {rc}:\n{tail}")
    out = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=project, env=env, capture_output=True, text=True, check=True
    ).stdout
    statuses = dict(re.findall(r"^\s+(\S+): (.+)$", out, flags=re.M))
    if selection:  # the functions outside the time box were never run
        statuses = {m: st for m, st in statuses.items() if any(fnmatch(m, glob) for glob in selection)}
    return {"variant": variant, "seconds": seconds, "statuses": statuses, "project": project}


def diff_of(project: Path, mutant: str) -> str:
    shown = subprocess.run([str(MUTMUT), "show", mutant], cwd=project, capture_output=True, text=True)
    lines = shown.stdout.splitlines()
    return "\n".join(line for line in lines if line[:1] in "+-@" and not line.startswith(("---", "+++")))


def run_module(name: str, max_children: int) -> dict:
    module = MODULES[name]
    runs = [run_variant(name, v, module, max_children) for v in module.variants]
    merged: dict[str, str] = {}
    for run in runs:
        for mutant, status in run["statuses"].items():
            old = merged.get(mutant)
            rank = RANK.index(status) if status in RANK else len(RANK)
            if old is None or rank < (RANK.index(old) if old in RANK else len(RANK)):
                merged[mutant] = status
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = {}
    for path in module.paths:  # one report row per mutated file
        prefix = path.removesuffix(".py").replace("/", ".") + "."
        mine = {m: st for m, st in merged.items() if m.startswith(prefix)}
        summary[path] = {
            "module": f"{module.service}/{path}",
            "tests": [t for t in module.tests if (ROOT / module.service / t).exists()] + module.pytest_args,
            "only": [g.removeprefix(prefix).removesuffix("__mutmut_*") for g in module.only if g.startswith(prefix)],
            "variants": {r["variant"]: r["seconds"] for r in runs},
            "date": date,
            "counts": {st: sum(1 for v in mine.values() if v == st) for st in sorted(set(mine.values()))},
            "total": len(mine),
            "survivors": {m: diff_of(runs[0]["project"], m) for m, st in sorted(mine.items()) if st == "survived"},
            "no_tests": sorted(m for m, st in mine.items() if st == "no tests"),
        }
    (SCRATCH / f"{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def recheck_survivors(name: str, max_children: int) -> dict:
    """Run only the last run's survivors again (after tests were added for them) and update its counts."""
    summary = json.loads((SCRATCH / f"{name}.json").read_text())
    survivors = [m for row in summary.values() for m in row["survivors"]]
    if not survivors:
        return summary
    module = MODULES[name]
    now: dict[str, str] = {}
    for variant in module.variants:  # a survivor is killed when any database's run kills it
        for mutant, status in run_variant(name, variant, module, max_children, survivors)["statuses"].items():
            if now.get(mutant) != "killed":
                now[mutant] = status
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for row in summary.values():
        counts = row["counts"]
        for mutant in list(row["survivors"]):
            status = now.get(mutant, "survived")
            if status != "survived":
                counts["survived"] -= 1
                counts[status] = counts.get(status, 0) + 1
                del row["survivors"][mutant]
        row["rechecked"] = f"{date}, survivors only, with the tests at commit {_commit()}"
        # The recheck selects the module's tests as they are now, test files added since included.
        row["tests"] = [t for t in module.tests if (ROOT / module.service / t).exists()] + module.pytest_args
    (SCRATCH / f"{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def _version() -> str:
    from importlib.metadata import version

    return f"mutmut {version('mutmut')}"


def write_report() -> None:
    summaries = {
        path: row
        for n in MODULES
        if (SCRATCH / f"{n}.json").exists()
        for path, row in json.loads((SCRATCH / f"{n}.json").read_text()).items()
    }
    commit = _commit()
    lines = [
        "# Mutation report (generated by `make mutants`; triage in docs/mutation.md)",
        "",
        f"- Command: `make mutants` (`.venv/bin/python scripts/mutants.py`), tool `{_version()}`, "
        f'Python {platform.python_version()}, commit `{commit}`. A module whose section says "rechecked" '
        "had its survivors run again after tests were added: `.venv/bin/python scripts/mutants.py "
        "--recheck MODULE`.",
        "- Score = (killed + timeout) / all mutants. `no tests`: no selected test runs the mutated "
        "function (no coverage).",
        "",
        "| module | date | mutants | killed | survived | timeout | no tests | other | score | runs (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries.values():
        c = s["counts"]
        main = ("killed", "survived", "timeout", "no tests")
        other = sum(v for k, v in c.items() if k not in main)
        score = (c.get("killed", 0) + c.get("timeout", 0)) / max(s["total"], 1)
        runs = ", ".join(f"{k} {v}" for k, v in s["variants"].items())
        lines.append(
            f"| `{s['module']}` | {s['date']} | {s['total']} | {c.get('killed', 0)} | "
            f"{c.get('survived', 0)} | {c.get('timeout', 0)} | {c.get('no tests', 0)} | {other} | "
            f"{score:.1%} | {runs} |"
        )
    for s in summaries.values():
        lines += ["", f"## `{s['module']}`", "", "Tests: " + ", ".join(f"`{t}`" for t in s["tests"]), ""]
        if s.get("rechecked"):
            lines += [f"Full run {s['date']}; survivors rechecked {s['rechecked']}.", ""]
        if s["only"]:
            lines += ["Time box, functions mutated: " + ", ".join(f"`{f}`" for f in s["only"]), ""]
        if s["no_tests"]:
            lines += ["No tests: " + ", ".join(f"`{m}`" for m in s["no_tests"]), ""]
        for mutant, diff in s["survivors"].items():
            lines += [f"- survived `{mutant}`", "", "```diff", diff, "```", ""]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(MODULES)}; default: all, one at a time")
    parser.add_argument("--max-children", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="run only the last run's survivors again, e.g. after adding tests for them",
    )
    args = parser.parse_args()
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown modules: {', '.join(sorted(unknown))}")
    SCRATCH.mkdir(exist_ok=True)
    if not args.report_only:
        for name in args.modules or MODULES:
            print(f"== {name}", flush=True)
            run = recheck_survivors if args.recheck else run_module
            for path, row in run(name, args.max_children).items():
                print(f"   {path}: {row['total']} mutants, {row['counts']}", flush=True)
    write_report()


if __name__ == "__main__":
    main()
