"""schemathesis against the live OpenAPI document with a valid token: no 5xx, conforming responses,
on SQLite and on PostgreSQL (the ``clean_db`` fixture runs the test once per backend)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from api.bootstrap import create_user
from api.config import Settings
from api.main import create_app
from api.security import create_access_token
from api.state import app_state
from tests.conftest import PASSWORD, TEST_SECRET
from tests.support.runs import publish_fixture_run


@pytest.fixture
def fuzz_app(clean_db, tmp_path):
    root, url = tmp_path, clean_db
    publish_fixture_run(root / "results", "run-fuzz")
    settings = Settings(
        _env_file=None,
        app_env="test",
        secret_key=TEST_SECRET,
        database_url=url,
        results_dir=root / "results",
        log_level="WARNING",
        access_log=False,
        login_max_failures=1000,
    )
    app = create_app(settings)
    app_state(app).run_store.refresh()
    with app_state(app).session_factory() as session, session.begin():
        user_id = create_user(session, "fuzzer", "fuzzer@example.com", PASSWORD)
    app.state.fuzz_identity = (settings, user_id)
    return app


def test_every_operation_conforms_to_the_openapi_document_without_5xx(fuzz_app):
    # schemathesis' pytest plugin does not support pytest 9 yet, so the operations are driven here.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app)
    settings, user_id = fuzz_app.state.fuzz_identity
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def check(case) -> None:
            token, _ = create_access_token(settings, user_id, "fuzzer")  # fresh: logout/refresh revoke theirs
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        check()
