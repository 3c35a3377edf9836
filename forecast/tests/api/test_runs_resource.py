"""Runs as a resource on the folder store (the default): GET /runs, ?run_id= on the read endpoints and a
run's files. The same on the PostgreSQL store: test_postgres_run_store.py."""

from __future__ import annotations

from api.state import app_state
from servicekit.errors import ErrorResponse
from tests.support.runs import FIXTURE_CSV, publish_fixture_run


async def test_runs_lists_every_kept_run_and_marks_the_latest(client, auth, app, results_dir):
    publish_fixture_run(results_dir, "run-a")
    publish_fixture_run(results_dir, "run-b", horizons=(1, 5, 20))
    app_state(app).run_store.refresh()
    body = (await client.get("/api/v1/runs", headers=auth)).json()
    assert {r["run_id"] for r in body["runs"]} == {"run-a", "run-b"} and body["total"] == 2
    assert body["latest_run_id"] == "run-b"
    by_id = {r["run_id"]: r for r in body["runs"]}
    assert by_id["run-b"]["latest"] and not by_id["run-a"]["latest"]
    assert by_id["run-b"]["horizons"] == [1, 5, 20] and by_id["run-b"]["assets"] == ["fixture"]


async def test_run_id_reads_an_older_run_while_the_default_stays_the_latest(client, auth, app, results_dir):
    publish_fixture_run(results_dir, "run-a")
    publish_fixture_run(results_dir, "run-b", last_price=3000.0)
    app_state(app).run_store.refresh()
    dash = "/api/v1/forecasts/dashboard"
    for _ in range(2):  # the second answer of each comes through the response cache / fast path
        assert (await client.get(dash, headers=auth)).json()["last_actual_price"] == 3000.0
        older = await client.get(dash, params={"run_id": "run-a"}, headers=auth)
        assert older.status_code == 200 and older.json()["last_actual_price"] == 2650.0
    methodology = await client.get("/api/v1/methodology", params={"run_id": "run-a"}, headers=auth)
    assert methodology.json()["run_id"] == "run-a"


async def test_an_unknown_run_id_is_404_in_the_error_shape(client, auth, app, results_dir):
    publish_fixture_run(results_dir, "run-a")
    app_state(app).run_store.refresh()
    for unknown in ("run-zzz", "../../etc", ".tmp-run-a"):
        response = await client.get("/api/v1/models/", params={"run_id": unknown}, headers=auth)
        assert response.status_code == 404, unknown
        assert ErrorResponse.model_validate(response.json()).error == "run_not_found"


async def test_a_runs_csv_is_served_and_nothing_outside_it(client, auth, app, results_dir):
    publish_fixture_run(results_dir, "run-a")
    csv = await client.get("/api/v1/runs/run-a/files/metrics.csv", headers=auth)
    assert csv.status_code == 200 and csv.content == FIXTURE_CSV
    (results_dir / "secret.txt").write_text("no")
    for path in ("..%2F..%2Fsecret.txt", "run.json", "nope.csv"):
        response = await client.get(f"/api/v1/runs/run-a/files/{path}", headers=auth)
        assert response.status_code == 404, path
