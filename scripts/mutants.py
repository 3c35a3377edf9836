"""`make mutants`: mutation testing of the critical modules with mutmut (triage in docs/mutation.md).

Each module runs alone, in its own scratch project under .mutmut/<module>/ (git-ignored): a copy of its
service (backend/ or forecast/) plus contracts/, with a [tool.mutmut] config naming the one file to
mutate and only the tests that exercise it. mutmut then copies that project into mutants/ and runs the
tests from there. The copy keeps the repository's layout, so the tests' `parents[n]` paths (contracts/,
alembic.ini) resolve inside the scratch project and a run never rewrites contracts/fixtures/.

UniTrack's history repository and inference store have a PostgreSQL path and an SQLite path, and CI runs
the backend suite on both, so those modules run once per database: a mutant counts as killed when
either run kills it.

Beside this script: mutation_modules.py (what is mutated, with which tests), mutation_runs.py (the
mutmut runs) and mutation_report.py (docs/mutation-report.md).

    .venv/bin/python scripts/mutants.py                 # every module, then docs/mutation-report.md
    .venv/bin/python scripts/mutants.py metrics consensus
    .venv/bin/python scripts/mutants.py --report-only   # rebuild the report from the last runs
"""

from __future__ import annotations

import argparse
import os

from mutation_modules import MODULES, SCRATCH
from mutation_report import write_report
from mutation_runs import recheck_survivors, run_module


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
