"""Bad pipeline output: a newly published run that cannot be served is refused, the previous run keeps
being served (by the running app, picked up by its poller), and health says degraded with the reason.

tests/api/test_results_lifecycle.py covers a bundle failing validation on a value, unparseable JSON and
a missing image; these add truncation, structural failures and broken LATEST pointers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.publish import write_latest
from runcontract.run import RUN_BUNDLE_FILE, RUNS_DIRNAME
from tests.support.runs import build_bundle, publish_fixture_run


def _valid_json(run_id: str) -> bytes:
    return build_bundle(run_id)[0].model_dump_json().encode()


def _edited(run_id: str, edit: Callable[[dict], None]) -> bytes:
    data = json.loads(_valid_json(run_id))
    edit(data)
    return json.dumps(data).encode()


def truncated(results_dir: Path) -> tuple[str, str]:
    raw = _valid_json("run-trunc")
    publish_fixture_run(results_dir, "run-trunc", raw_bundle=raw[: len(raw) // 2])
    return "run-trunc", "fails validation"


def empty_file(results_dir: Path) -> tuple[str, str]:
    publish_fixture_run(results_dir, "run-empty", raw_bundle=b"")
    return "run-empty", "fails validation"


def missing_section(results_dir: Path) -> tuple[str, str]:
    publish_fixture_run(results_dir, "run-nosec", raw_bundle=_edited("run-nosec", lambda d: d.pop("forecasts")))
    return "run-nosec", "forecasts"


def wrong_type(results_dir: Path) -> tuple[str, str]:
    def edit(d: dict) -> None:
        d["forecasts"][0]["horizon"] = "five"

    publish_fixture_run(results_dir, "run-type", raw_bundle=_edited("run-type", edit))
    return "run-type", "horizon"


def other_runs_bundle(results_dir: Path) -> tuple[str, str]:
    publish_fixture_run(results_dir, "run-mixed", raw_bundle=_valid_json("run-other"))
    return "run-mixed", "summary.run_id"


def bundle_missing(results_dir: Path) -> tuple[str, str]:
    path = publish_fixture_run(results_dir, "run-nobundle")
    (path / RUN_BUNDLE_FILE).unlink()
    # The poller may have loaded it between publish and unlink: point LATEST at a fresh copy instead.
    copy = results_dir / RUNS_DIRNAME / "run-nobundle2"
    copy.mkdir()
    write_latest(results_dir, "run-nobundle2")
    return "run-nobundle2", "cannot read"


def latest_names_missing_dir(results_dir: Path) -> tuple[str, str]:
    write_latest(results_dir, "run-ghost")
    return "run-ghost", "cannot read"


def latest_names_invalid_id(results_dir: Path) -> tuple[str, str]:
    write_latest(results_dir, "../../etc")
    return "../../etc", "invalid run id"


def png_replaced_by_text(results_dir: Path) -> tuple[str, str]:
    bundle, files = build_bundle("run-png")
    from pipelines.publish import publish_run, staging_dir

    staged = staging_dir(results_dir, "run-png")
    for rel in files:
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_bytes(b"<html>not a png</html>")
    (staged / RUN_BUNDLE_FILE).write_bytes(bundle.model_dump_json().encode())
    publish_run(results_dir, staged, "run-png", keep=10)
    return "run-png", "not a PNG"


def older_pipeline(results_dir: Path) -> tuple[str, str]:
    """A run from the pipeline before baselines and the verdict: served, it would show bare accuracies."""

    def edit(d: dict) -> None:
        d["schema_version"] = 1
        for row in d["metrics"]:
            del row["always_up_da"], row["edge_vs_always_up"]
        del d["summary"]["verdict"]

    publish_fixture_run(results_dir, "run-v1", raw_bundle=_edited("run-v1", edit))
    return "run-v1", "bundle schema 1, this API reads 2; run the pipeline again"


CASES = [
    truncated,
    empty_file,
    missing_section,
    wrong_type,
    other_runs_bundle,
    bundle_missing,
    latest_names_missing_dir,
    latest_names_invalid_id,
    png_replaced_by_text,
    older_pipeline,
]


async def _health_when(client, predicate, timeout: float = 5.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        health = (await client.get("/api/v1/health")).json()
        if predicate(health) or asyncio.get_running_loop().time() > deadline:
            return health
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("make_bad_run", CASES, ids=[c.__name__ for c in CASES])
async def test_a_bad_new_run_is_refused_and_the_previous_one_kept(client, auth, published, results_dir, make_bad_run):
    before = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    bad_id, reason = make_bad_run(results_dir)
    health = await _health_when(client, lambda h: h["status"] != "healthy")
    assert health["status"] == "degraded", health
    message = health["services"]["results"]["message"]
    assert "serving run run-a" in message and bad_id in message and reason in message, message
    ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    for path in ("/api/v1/forecasts/dashboard", "/api/v1/models/comparison", "/api/v1/images/model_ranking"):
        assert (await client.get(path, headers=auth)).status_code == 200, path
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json() == before
    # Refused once, not re-read on every poll; a later valid run clears the degradation.
    publish_fixture_run(results_dir, "run-good", last_price=3100.0)
    health = await _health_when(client, lambda h: h["status"] == "healthy")
    assert health["status"] == "healthy" and "run-good" in health["services"]["results"]["message"]
    after = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert after["last_actual_price"] == 3100.0
