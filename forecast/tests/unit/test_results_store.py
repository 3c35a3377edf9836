from api.services.results import RunStore
from tests.support.runs import corrupt_bundle, png_bytes, publish_fixture_run


def test_no_pointer_means_no_snapshot_and_unhealthy(tmp_path):
    store = RunStore(tmp_path)
    assert store.refresh() is False
    assert store.snapshot is None and store.status().state == "unhealthy"


def test_a_valid_run_is_loaded_with_its_images_in_memory(tmp_path):
    publish_fixture_run(tmp_path, "run-a")
    store = RunStore(tmp_path)
    assert store.refresh() is True
    assert store.snapshot.run_id == "run-a" and len(store.snapshot.images) == 7
    assert store.refresh() is False  # same pointer: nothing reloaded


def test_a_corrupt_run_is_refused_once_and_the_previous_one_kept(tmp_path, monkeypatch):
    publish_fixture_run(tmp_path, "run-a")
    store = RunStore(tmp_path)
    store.refresh()
    publish_fixture_run(tmp_path, "run-bad", raw_bundle=corrupt_bundle("run-bad"))
    assert store.refresh() is False
    assert store.snapshot.run_id == "run-a" and store.status().state == "degraded"
    calls = []
    monkeypatch.setattr("api.services.results.load_run", lambda *a: calls.append(a))
    store.refresh()
    assert calls == []  # the same refused run is not re-read every poll


def test_an_invalid_run_id_in_the_pointer_is_refused(tmp_path):
    (tmp_path / "LATEST").write_text("../../etc\n")
    store = RunStore(tmp_path)
    store.refresh()
    assert store.snapshot is None and "invalid run id" in store.last_error


def test_wrong_image_metadata_is_corrected_to_the_true_file(tmp_path):
    path = publish_fixture_run(tmp_path, "run-a")
    (path / "images" / "model_ranking.png").write_bytes(png_bytes(50, 40))
    store = RunStore(tmp_path)
    store.refresh()
    meta = store.snapshot.images["model_ranking"].entry.metadata
    assert meta.dimensions == (50, 40)
    assert meta.file_size_bytes == len(png_bytes(50, 40))
