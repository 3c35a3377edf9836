"""Hot reload of model.pkl: under load no request fails and the version changes; a broken file leaves
the old model serving and readiness says why; the file watcher and SIGHUP trigger the same reload."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import joblib
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.api.state import app_state
from testkit.clocks import without_hanging

from authkit import bearer, make_token
from students import STUDENT, make_students

PREDICT = {"cod_persona": 7, "cod_curso": "CS2H1", "features": STUDENT}
ADMIN = bearer(make_token(app_metadata={"role": "admin"}))


def _model(c: float):
    frame, passed = make_students(n_rows=600, seed=3)
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500)).fit(frame, passed)


def _replace(path: Path, content) -> None:
    """How a deploy should drop a file: write beside it, then rename over it (atomic)."""
    tmp = path.with_suffix(".tmp")
    if isinstance(content, bytes):
        tmp.write_bytes(content)
    else:
        joblib.dump(content, tmp)
    os.replace(tmp, path)


@pytest.fixture
def model_path(tmp_path) -> Path:
    path = tmp_path / "served" / "model.pkl"
    path.parent.mkdir()
    joblib.dump(_model(1.0), path)
    return path


async def _version(client, headers) -> str:
    return (await client.get("/api/v1/model", headers=headers)).json()["version"]


async def test_hot_reload_under_load_drops_nothing_and_changes_the_version(
    make_client, model_path, auth_headers, count_rows
):
    async with make_client(model_path=model_path, model_compile=True, model_watch_seconds=0) as client:
        before = await _version(client, auth_headers)
        statuses: list[int] = []
        versions: list[str] = []
        after_swap: list[str] = []  # versions of the requests sent once the reload had answered
        stop, swapped, served_old, served_new = (asyncio.Event() for _ in range(4))

        async def student() -> None:
            while not stop.is_set():
                sent_after_swap = swapped.is_set()
                response = await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)
                statuses.append(response.status_code)
                versions.append(version := response.json().get("version"))
                if sent_after_swap:
                    after_swap.append(version)
                    served_new.set()
                else:
                    served_old.set()

        load = [asyncio.create_task(student()) for _ in range(8)]
        # Events, not sleeps: the swap happens under load, and the load goes on until a request sent
        # after the swap has been answered, however slow the machine.
        await without_hanging(served_old.wait(), "the first prediction")
        _replace(model_path, _model(0.01))
        assert (await client.post("/api/v1/model/reload", headers=auth_headers)).status_code == 403
        reload = await client.post("/api/v1/model/reload", headers=ADMIN)
        swapped.set()
        await without_hanging(served_new.wait(), "a prediction sent after the reload")
        stop.set()
        await asyncio.gather(*load)
        after = await _version(client, auth_headers)
    body = reload.json()
    assert reload.status_code == 200 and body["outcome"] == "reloaded", body
    assert body["previous_version"] == before and body["version"] == after != before
    assert body["serving"]["path"] == "onnx"  # compiled and verified before the swap
    assert set(statuses) == {200}, statuses
    # Requests in flight at the swap may finish on either model; every one sent after it, on the new.
    assert versions[0] == before and set(versions) == {before, after}
    assert after_swap and set(after_swap) == {after}, after_swap
    assert count_rows() == len(statuses)  # every acknowledged prediction stored, none twice


async def test_a_broken_new_model_leaves_the_old_one_serving_and_readiness_says_why(
    make_client, model_path, auth_headers
):
    async with make_client(model_path=model_path, model_watch_seconds=0) as client:
        before = await _version(client, auth_headers)
        _replace(model_path, b"this is not a pickle")
        refused = (await client.post("/api/v1/model/reload", headers=ADMIN)).json()
        predict = await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)
        ready = (await client.get("/api/v1/readyz")).json()
        _replace(model_path, _model(0.05))
        fixed = (await client.post("/api/v1/model/reload", headers=ADMIN)).json()
        ready_again = (await client.get("/api/v1/readyz")).json()
    assert refused["outcome"] == "refused" and refused["version"] == before
    assert "cannot unpickle" in refused["reason"] and str(model_path.parent) not in refused["reason"]
    assert predict.status_code == 200 and predict.json()["version"] == before
    assert ready["status"] == "degraded" and ready["model"]["reload"]["outcome"] == "refused"
    assert "cannot unpickle" in ready["model"]["reload"]["reason"]
    assert fixed["outcome"] == "reloaded" and ready_again["status"] == "ok"


async def test_a_new_file_on_disk_is_picked_up_by_the_watcher(make_client, model_path, auth_headers):
    async with make_client(model_path=model_path, model_watch_seconds=0.05) as client:
        before = await _version(client, auth_headers)
        _replace(model_path, _model(0.02))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if await _version(client, auth_headers) != before:
                break
        assert await _version(client, auth_headers) != before
        ready = (await client.get("/api/v1/readyz")).json()
    assert ready["model"]["reload"]["trigger"] == "file changed"


async def test_sighup_reloads_the_model(make_client, model_path, auth_headers):
    async with make_client(model_path=model_path, model_watch_seconds=0) as client:
        # The handler is the event loop's, not the default (which would end the test process).
        assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, None)
        before = await _version(client, auth_headers)
        _replace(model_path, _model(0.03))
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if await _version(client, auth_headers) != before:
                break
        ready = (await client.get("/api/v1/readyz")).json()
    assert ready["model"]["reload"]["trigger"] == "SIGHUP" and ready["model"]["reload"]["outcome"] == "reloaded"
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL  # removed again on shutdown


async def test_a_request_holding_the_old_engine_still_scores_after_the_swap(make_client, model_path, auth_headers):
    async with make_client(model_path=model_path, model_watch_seconds=0) as client:
        old = app_state(client.app).model_engine  # what a request picked up just before the swap
        _replace(model_path, _model(0.04))
        assert (await client.post("/api/v1/model/reload", headers=ADMIN)).json()["outcome"] == "reloaded"
        assert app_state(client.app).model_engine is not old
        late = await old.apredict(STUDENT)  # its reference thread was not shut under it
    assert late.version == old.version and 0.0 <= late.score <= 1.0


def test_a_file_replaced_after_loading_is_never_compiled_for_the_loaded_model(model_path):
    from app.ml.runtime.runtime import CompileOptions
    from app.services.engine_loading import build_engine

    engine = build_engine(model_path, CompileOptions())
    _replace(model_path, _model(0.01))  # a deploy lands while the first compile has not started yet
    path = engine.runtime.compile_now()
    assert path.kind == "sklearn" and "changed on disk after it was loaded" in path.reason
    engine.runtime.close()
