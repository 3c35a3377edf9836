"""deploy/compose.yaml, the scaled-out stack of docs/SCALING.md: 2 UniTrack and 2 forecast API replicas,
PostgreSQL, Redis, a Dask scheduler and 2 workers.

No Docker engine runs here, so nothing is started. The file is parsed with PyYAML and its services,
replicas and wiring are checked (always), and ``docker compose config`` (or Debian's ``docker-compose``)
validates it against the Compose schema where such a CLI is installed; without one that test is skipped,
CI included: a Docker CLI is not one of the services CI provides.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.core.config import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose.yaml"
SECRETS = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "SUPABASE_PROJECT_REF": "composetestref",
    "FORECAST_SECRET_KEY": "compose-test-secret-key-of-at-least-32-bytes",
    "FRONTEND_ORIGIN": "https://app.example.com",
}
# Settings read by the images themselves rather than by app.core.config.Settings.
IMAGE_VARIABLES = {"PORT"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment with ``${VAR:?…}`` filled in from :data:`SECRETS`."""
    return {
        key: INTERPOLATION.sub(lambda m: SECRETS[m.group(1)], str(value))
        for key, value in service["environment"].items()
    }


def test_compose_runs_two_replicas_of_each_api_and_two_dask_workers(services):
    assert {"postgres", "redis", "unitrack", "forecast-api", "dask-scheduler", "dask-worker"} <= set(services)
    for name in ("unitrack", "forecast-api", "dask-worker"):
        assert services[name]["deploy"]["replicas"] == 2, name
    assert "deploy" not in services["dask-scheduler"], "one scheduler"


def test_compose_builds_both_apis_from_their_dockerfiles_and_pins_every_other_image(services):
    dockerfiles = {name: service["build"]["dockerfile"] for name, service in services.items() if "build" in service}
    assert dockerfiles["unitrack"] == dockerfiles["unitrack-migrate"] == "backend/Dockerfile"
    forecast_image = {"forecast-api", "forecast-migrate", "dask-worker", "pipeline"}
    assert {dockerfiles[name] for name in forecast_image} == {"forecast/Dockerfile"}
    for service in services.values():
        if "build" in service:
            assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    for name, repository in (("postgres", "postgres"), ("redis", "redis"), ("dask-scheduler", "ghcr.io/dask/dask")):
        image, _, tag = services[name]["image"].rpartition(":")
        assert image == repository and re.match(r"^\d+\.\d+", tag), f"{name} must be pinned to a version: {tag}"


def test_dask_scheduler_matches_the_distributed_pinned_for_the_pipeline(services):
    tag = services["dask-scheduler"]["image"].rpartition(":")[2]
    requirements = (REPO / "forecast" / "requirements.txt").read_text()
    pinned = re.search(r"^distributed==(\S+)", requirements, flags=re.M)
    if pinned is None:
        pytest.skip("forecast/requirements.txt does not pin distributed yet (the Dask executor is not merged)")
    assert tag.startswith(f"{pinned.group(1)}-py3.11"), "scheduler, workers and client must run one version"


def test_both_apis_share_state_across_their_replicas(services):
    unitrack, forecast = env_of(services["unitrack"]), env_of(services["forecast-api"])
    databases = {}
    for name, env in (("unitrack", unitrack), ("forecast", forecast)):
        url = urlsplit(env["DATABASE_URL"])
        assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432), name
        databases[name] = url.path
        assert urlsplit(env["REDIS_URL"]).hostname == "redis", name
        assert env["APP_ENV"] == "prod", name
    assert databases == {"unitrack": "/unitrack", "forecast": "/forecast"}, "each API migrates its own database"
    assert (REPO / "deploy" / "postgres-init").is_dir()
    assert "CREATE DATABASE forecast" in "".join(
        p.read_text() for p in (REPO / "deploy" / "postgres-init").glob("*.sql")
    )
    assert urlsplit(unitrack["REDIS_URL"]).path != urlsplit(forecast["REDIS_URL"]).path, "one Redis database each"
    assert forecast["RUN_STORE"] == "postgres", "a folder store would give each replica its own runs"
    # The pipeline publishes where the replicas read, and its tasks go to the scheduler the workers joined.
    pipeline = env_of(services["pipeline"])
    assert pipeline["RUN_STORE"] == "postgres" and pipeline["DATABASE_URL"] == forecast["DATABASE_URL"]
    command = services["pipeline"]["command"]
    scheduler = command[command.index("--scheduler") + 1]
    assert scheduler in services["dask-worker"]["command"] and scheduler == "tcp://dask-scheduler:8786"
    assert services["pipeline"]["profiles"] == ["pipeline"], "a run is published on demand, not at every `up`"


def test_unitrack_environment_names_are_settings_it_reads(services):
    fields = set(Settings.model_fields)
    unknown = {key for key in services["unitrack"]["environment"] if key.lower() not in fields} - IMAGE_VARIABLES
    assert not unknown, f"UniTrack would ignore {unknown}"
    # The values are a configuration production accepts (APP_ENV=prod refuses unsafe ones at start-up).
    values = {key.lower(): value for key, value in env_of(services["unitrack"]).items() if key not in IMAGE_VARIABLES}
    settings = Settings(_env_file=None, **values)
    assert settings.rate_limit_backend == "auto" and settings.redis_url is not None, (
        "the rate limit is counted in Redis"
    )


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file_and_refuses_it_without_secrets(tmp_path):
    cli = compose_cli()
    if cli is None:
        pytest.skip("no docker CLI with compose (nor docker-compose) installed")
    env = {**os.environ, **SECRETS}
    no_env_file = tmp_path / "empty.env"  # not deploy/.env: the secrets come from this test only
    no_env_file.write_text("")
    done = subprocess.run(
        [*cli, "--env-file", str(no_env_file), "-f", str(COMPOSE), "config"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rendered = yaml.safe_load(done.stdout)["services"]
    assert rendered["forecast-api"]["environment"]["RUN_STORE"] == "postgres"
    assert rendered["unitrack"]["deploy"]["replicas"] == 2

    without = {key: value for key, value in env.items() if key != "POSTGRES_PASSWORD"}
    refused = subprocess.run(
        [*cli, "--env-file", str(no_env_file), "-f", str(COMPOSE), "config"],
        env=without,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr
