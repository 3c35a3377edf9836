"""The forecast packages import one way: `api` and `pipelines` share the run contract (`runcontract`) and
never import each other; the contract imports neither. Read from the source, so an import inside a
function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FORECAST_DIR = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "pipelines", "runcontract")
# Each package, and the forecast packages it must never import.
FORBIDDEN = {
    "api": {"pipelines"},
    "pipelines": {"api"},
    "runcontract": {"api", "pipelines"},
}


def imported_packages(source: str) -> set[str]:
    """Top-level names of every absolute import in ``source`` (relative imports stay inside the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def forbidden_imports(package: str) -> list[str]:
    root = FORECAST_DIR / package
    modules = sorted(root.rglob("*.py"))
    assert modules, f"no modules found under {root}"
    return [
        f"{path.relative_to(FORECAST_DIR)} imports {name}"
        for path in modules
        for name in sorted(imported_packages(path.read_text(encoding="utf-8")) & FORBIDDEN[package])
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_no_forecast_package_above_or_beside_it(package):
    assert forbidden_imports(package) == []


def test_pipelines_and_api_share_the_run_contract():
    # The reason they need not import each other: both write and read runs through runcontract.
    for package in ("api", "pipelines"):
        used = set().union(*(imported_packages(p.read_text()) for p in (FORECAST_DIR / package).rglob("*.py")))
        assert "runcontract" in used, f"{package} no longer imports runcontract"


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from api.schemas.run import RunBundle", {"api"}),
        ("import api.schemas", {"api"}),
        ("def f():\n    from pipelines import publish\n", {"pipelines"}),
        ("from . import sibling\nimport statsmodels.api as sm", {"statsmodels"}),
    ],
)
def test_the_check_sees_every_form_of_import(source, caught):
    assert imported_packages(source) == caught
