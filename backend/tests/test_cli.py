"""CLI: dev tokens verified through the local JWKS path, and the course import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.cli import main

from authkit import bearer

BACKEND_DIR = Path(__file__).resolve().parents[1]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=BACKEND_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_token_is_accepted_by_the_api_in_local_mode(make_client, tmp_path, count_rows):
    key_path = tmp_path / ".local_auth" / "key.pem"
    env = {"APP_ENV": "dev", "AUTH_MODE": "local", "LOCAL_AUTH_KEY_PATH": str(key_path)}
    result = _cli("token", "--email", "dev@example.com", env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    local = {"app_env": "dev", "auth_mode": "local", "supabase_issuer": None, "local_auth_key_path": key_path}
    async with make_client(**local) as client:
        jwks = (await client.get("/api/v1/auth/local/jwks.json")).json()
        me = await client.get("/api/v1/auth/me", headers=bearer(token))
        forged = await client.get("/api/v1/auth/me", headers=bearer(token[:-4] + "AAAA"))
    assert jwks["keys"][0]["alg"] == "ES256" and "d" not in jwks["keys"][0]
    assert me.status_code == 200 and me.json()["email"] == "dev@example.com"
    assert forged.status_code == 401
    assert count_rows("users") == 1


async def test_local_jwks_route_exists_only_in_local_mode(client):
    assert (await client.get("/api/v1/auth/local/jwks.json")).status_code == 404


def test_cli_token_is_refused_outside_local_mode(capsys, monkeypatch):
    from app.core import config

    config.get_settings.cache_clear()
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("AUTH_MODE", "supabase")
    monkeypatch.setenv("SUPABASE_PROJECT_REF", "abcd")
    try:
        assert main(["token", "--email", "x@y.z"]) == 2
    finally:
        config.get_settings.cache_clear()
    assert "AUTH_MODE=local" in capsys.readouterr().err


async def test_import_courses_upserts_the_catalog(make_client, database_url, tmp_path, auth_headers):
    csv_path = tmp_path / "courses.csv"
    csv_path.write_text(
        "cod_curso,nombre,creditos,familia,nivel\nCS2H1,Algoritmos,4,Computación,2\nMA101,Cálculo,5,,1\n",
        encoding="utf-8",
    )
    env = {"DATABASE_URL": database_url, "APP_ENV": "test", "AUTH_MODE": "supabase", "SUPABASE_PROJECT_REF": "x"}
    first = _cli("import-courses", str(csv_path), env=env)
    assert first.returncode == 0, first.stderr
    csv_path.write_text("cod_curso,nombre,creditos\nCS2H1,Algoritmos II,3\n", encoding="utf-8")
    assert _cli("import-courses", str(csv_path), env=env).returncode == 0
    async with make_client() as client:
        courses = (await client.get("/api/v1/courses", headers=auth_headers)).json()
    assert courses == [
        {"cod_curso": "CS2H1", "nombre": "Algoritmos II", "creditos": 3, "familia": None, "nivel": None},
        {"cod_curso": "MA101", "nombre": "Cálculo", "creditos": 5, "familia": None, "nivel": 1},
    ]


def test_import_courses_rejects_a_csv_without_required_columns(tmp_path, database_url):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("code,name\nX,Y\n", encoding="utf-8")
    env = {"DATABASE_URL": database_url, "APP_ENV": "test", "AUTH_MODE": "supabase", "SUPABASE_PROJECT_REF": "x"}
    result = _cli("import-courses", str(csv_path), env=env)
    assert result.returncode == 1 and "missing column" in result.stderr
