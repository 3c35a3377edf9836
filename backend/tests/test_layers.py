"""Imports in ``app`` run one way: api -> services -> (ml, db) -> core (-> servicekit).

Every module's source is parsed (no import is executed), and every import it holds counts: at the top,
inside a function, under ``TYPE_CHECKING`` and relative ones. ``main`` and ``cli`` wire everything and
may import any layer. The model loads in a straight line (app/ml/model_loader.py): no module of the
model package imports the loader back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# What each layer may not import. ml knows no database and db no model; neither knows a use case.
FORBIDDEN = {
    "core": {"db", "ml", "services", "api", "main", "cli"},
    "db": {"ml", "services", "api", "main", "cli"},
    "ml": {"db", "services", "api", "main", "cli"},
    "services": {"api", "main", "cli"},
    "api": {"main", "cli"},
}
LOADER = "app.ml.model_loader"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, relative ones resolved."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            if layer(base) is not None:
                yield node.lineno, base
            else:  # ``from app import services`` imports the package app.services
                yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 else None


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    own = layer(module)
    found = []
    for line, target in imported_modules(source, module, is_package):
        if layer(target) in FORBIDDEN.get(own or "", set()):
            found.append(f"{module}:{line} imports {target} ({own} -> {layer(target)})")
        if target == LOADER and module.startswith("app.ml.") and module != LOADER:
            found.append(f"{module}:{line} imports the model loader back ({target})")
    return found


def test_the_walk_sees_deferred_relative_and_type_checking_imports():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.services.inference import ModelEngine\n"
        "def f():\n    from ..api import deps\n"
        "from app import db\n"
        "from . import config\n"
    )
    assert sorted(upward_imports(source, "app.core.example")) == [
        "app.core.example:3 imports app.services.inference (core -> services)",
        "app.core.example:5 imports app.api (core -> api)",
        "app.core.example:6 imports app.db (core -> db)",
    ]
    assert upward_imports("from app.ml.model_loader import load_model\n", "app.ml.runtime.runtime") == [
        "app.ml.runtime.runtime:1 imports the model loader back (app.ml.model_loader)"
    ]
    assert upward_imports("from app.ml import featurizer\nimport app.core.config\n", "app.services.x") == []


def test_no_module_imports_a_layer_above_its_own():
    modules = sorted(APP.rglob("*.py"))
    assert len(modules) > 50  # the walk found the package
    found = [
        violation
        for path in modules
        for violation in upward_imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    ]
    assert found == []
