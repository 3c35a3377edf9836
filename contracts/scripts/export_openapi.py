#!/usr/bin/env python3
"""Export the OpenAPI documents of both FastAPI apps without starting a server.

    python contracts/scripts/export_openapi.py [--out DIR] [unitrack] [forecast]

Each app is imported in its own subprocess (cwd = the service directory, so ``app.main`` and
``api.main`` resolve exactly as uvicorn resolves them) with a fixed, harmless environment:
APP_ENV=test, dummy secrets, and a database URL that points into a directory that does not exist,
so an app whose *import* opens a database connection fails loudly here instead of silently
depending on a developer's database. ``app.openapi()`` is called; the server is never started and
lifespan/startup hooks never run.

Output is deterministic: ``json.dumps(sort_keys=True, indent=2, ensure_ascii=False)`` plus a
trailing newline.

Datetime patch (documented in contracts/README.md): FastAPI describes *responses* with Pydantic's
serialization-mode JSON schema. A datetime field with a custom ``PlainSerializer(..., return_type=str)``
(the forecast service's ``UtcDatetime``) then appears as a bare ``{"type": "string"}`` and the
generator could not emit ``z.iso.datetime()`` for it. For every string node that has no ``format``
in the serialization-mode document but is ``format: date-time`` at the same place in the
validation-mode document, ``format: date-time`` is restored. Nothing else is changed. The patch is
a no-op once the field declares its JSON schema itself (e.g. ``WithJsonSchema({"type": "string",
"format": "date-time"})`` on ``UtcDatetime``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = CONTRACTS_DIR.parent

APPS: dict[str, dict] = {
    "unitrack": {"cwd": REPO_ROOT / "backend", "target": "app.main:app"},
    "forecast": {"cwd": REPO_ROOT / "forecast", "target": "api.main:app"},
}

_NO_DB_DIR = "/nonexistent-contracts-export-no-db"
# Forced (not setdefault) so that the exported document never depends on a developer's shell or
# .env file: the committed OpenAPI must be reproducible everywhere.
EXPORT_ENV = {
    "APP_ENV": "test",
    "ENVIRONMENT": "test",
    "LOG_LEVEL": "WARNING",
    "SECRET_KEY": "contracts-export-dummy-secret-not-used-0123456789",
    "JWT_SECRET": "contracts-export-dummy-secret-not-used-0123456789",
    "JWT_SECRET_KEY": "contracts-export-dummy-secret-not-used-0123456789",
    "DATABASE_URL": f"sqlite:///{_NO_DB_DIR}/unitrack.db",
    "AUTH_MODE": "supabase",
    "SUPABASE_PROJECT_REF": "contracts-export",
    "FORECAST_DATABASE_URL": f"sqlite:///{_NO_DB_DIR}/forecast.db",
    "FORECAST_ENV": "test",
    "FORECAST_SECRET_KEY": "contracts-export-dummy-secret-not-used-0123456789",
    "FORECAST_APP_ENV": "test",
    "FORECAST_RESULTS_DIR": f"{_NO_DB_DIR}/results",
}


# --------------------------------------------------------------------------------------------------
# child: import one app and dump its document(s)
# --------------------------------------------------------------------------------------------------
def _child(target: str, out_path: str) -> None:
    import importlib

    # The parent runs this child in the app's folder with PYTHONPATH set to it, so the app imports as it
    # does in its image (where the package is the working directory, not an installed one).
    module_name, _, attr = target.partition(":")
    app = getattr(importlib.import_module(module_name), attr)

    serialization = app.openapi()

    from fastapi.openapi.utils import get_openapi

    validation = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        routes=app.routes,
        separate_input_output_schemas=False,
    )
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"serialization": serialization, "validation": validation}, fh)


# --------------------------------------------------------------------------------------------------
# parent
# --------------------------------------------------------------------------------------------------
def _walk_patch(ser: object, val: object, path: str, patched: list[str]) -> None:
    if isinstance(ser, dict) and isinstance(val, dict):
        if (
            ser.get("type") == "string"
            and "format" not in ser
            and val.get("type") == "string"
            and val.get("format") == "date-time"
        ):
            ser["format"] = "date-time"
            patched.append(path)
        for key, sub in ser.items():
            if key in val:
                _walk_patch(sub, val[key], f"{path}.{key}", patched)
    elif isinstance(ser, list) and isinstance(val, list) and len(ser) == len(val):
        for i, (a, b) in enumerate(zip(ser, val)):
            _walk_patch(a, b, f"{path}[{i}]", patched)


def restore_datetime_formats(doc: dict, validation_doc: dict) -> list[str]:
    patched: list[str] = []
    val_schemas = validation_doc.get("components", {}).get("schemas", {})
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        twin = val_schemas.get(name)
        if twin is None and name.endswith(("-Output", "-Input")):
            twin = val_schemas.get(name.rsplit("-", 1)[0])
        if twin is not None:
            _walk_patch(schema, twin, f"components.schemas.{name}", patched)
    return patched


def dump(doc: dict) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def export(name: str, out_dir: Path, python: str) -> Path:
    spec = APPS[name]
    cwd: Path = spec["cwd"]
    main_py = cwd / (spec["target"].split(":")[0].replace(".", "/") + ".py")
    if not main_py.exists():
        raise SystemExit(f"export_openapi: {name}: {main_py.relative_to(REPO_ROOT)} does not exist yet")
    env = {**os.environ, **EXPORT_ENV, "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="contracts-openapi-") as tmp:
        raw = Path(tmp) / "raw.json"
        proc = subprocess.run(
            [python, str(Path(__file__).resolve()), "--child", spec["target"], str(raw)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            hint = ""
            if "unable to open database" in proc.stderr or _NO_DB_DIR in proc.stderr:
                hint = "\n  -> importing the app opened a database connection; it must not (tell the lead)."
            raise SystemExit(
                f"export_openapi: importing {spec['target']} (cwd {cwd.relative_to(REPO_ROOT)}) failed:\n"
                f"{proc.stderr.strip()}{hint}"
            )
        docs = json.loads(raw.read_text(encoding="utf-8"))
    doc = copy.deepcopy(docs["serialization"])
    patched = restore_datetime_formats(doc, docs["validation"])
    if patched and os.environ.get("CONTRACTS_VERBOSE"):
        print(f"  {name}: restored format date-time on {len(patched)} node(s)", file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.json"
    out.write_text(dump(doc), encoding="utf-8")
    return out


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", metavar="APP", help=f"one of {', '.join(APPS)} (default: all)")
    parser.add_argument("--out", type=Path, default=CONTRACTS_DIR / "openapi")
    args = parser.parse_args()
    unknown = [a for a in args.apps if a not in APPS]
    if unknown:
        parser.error(f"unknown app(s): {', '.join(unknown)}")
    for name in args.apps or list(APPS):
        path = export(name, args.out, sys.executable)
        print(f"export_openapi: wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
