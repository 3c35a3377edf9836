"""Running mutmut on one module: a scratch project per module and database (.mutmut/<module>-<variant>/),
the verdicts of its runs merged (killed on any database counts), survivors rechecked, and the
summary each module leaves in .mutmut/<module>.json for the report."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

from mutation_modules import BACKEND_COPY, FORECAST_COPY, MODULES, MUTMUT, RANK, ROOT, SCRATCH, Module


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
    also_copy = BACKEND_COPY if module.service == "backend" else FORECAST_COPY
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
        row["rechecked"] = f"{date}, survivors only, with the tests at commit {head_commit()}"
        # The recheck selects the module's tests as they are now, test files added since included.
        row["tests"] = [t for t in module.tests if (ROOT / module.service / t).exists()] + module.pytest_args
    (SCRATCH / f"{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def head_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
