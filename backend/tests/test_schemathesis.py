"""Property-based fuzzing of every operation in the OpenAPI schema, with a valid token: no 5xx,
on SQLite and on PostgreSQL (asyncpg serves /predict, /whatif and /history there)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.core.config import Settings
from app.main import create_app

from authkit import ISSUER, bearer, make_token

# schemathesis needs an app at import time to read the schema from; each test calls a fresh app wired to
# the test database, the JWKS server and the real model (schemathesis runs its lifespan on its own event
# loop, so the database pools live there, and ends it with the test).
APP = create_app(
    Settings(
        _env_file=None,
        app_env="test",
        auth_mode="supabase",
        supabase_jwks_url="http://127.0.0.1:9/unused",
        supabase_issuer=ISSUER,
        database_url="sqlite:///:memory:",
        log_level="WARNING",
    )
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture
def wired_app(settings_factory, clean_db, real_engine):
    return create_app(settings_factory(), model_engine=real_engine)  # the real featurizer sees the fuzzed features


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_5xx_to_any_schema_shaped_input(case, wired_app):
    response = case.call(app=wired_app, headers=bearer(make_token()))
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        assert response.json()["status_code"] == response.status_code
