"""Services raise domain errors; api/errors.py alone says what each one is in HTTP."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import api.services
from api.errors import DOMAIN_ERRORS, install_error_handlers
from api.services.errors import (
    DomainError,
    FeatureImportanceNotFound,
    HorizonNotFound,
    ImageNotFound,
    InactiveUser,
    InvalidCredentials,
    LoginThrottled,
    ModelNotFound,
    NoRunPublished,
    TokenRevoked,
)
from servicekit.errors import APIError

SERVICES = sorted(Path(api.services.__file__).parent.glob("*.py"))
HTTP_MODULES = ("fastapi", "starlette", "servicekit.errors", "servicekit.error_mapping")


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


@pytest.mark.parametrize("error", _subclasses(DomainError), ids=lambda cls: cls.__name__)
def test_every_domain_error_has_an_http_answer(error):
    mapped = {mapping.error_type for mapping in DOMAIN_ERRORS}
    assert mapped & set(error.__mro__) - {DomainError, Exception}, f"{error.__name__} would be a 500"


@pytest.mark.parametrize("module", SERVICES, ids=lambda path: path.name)
def test_services_know_nothing_of_http(module):
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert not any(name.startswith(HTTP_MODULES) for name in names), (module.name, names)


BEARER = {"WWW-Authenticate": "Bearer"}
NO_RUN = "No forecast run is published yet; run the pipeline (python -m pipelines.run)"
# Each domain error beside the APIError the service raised before issue 18.
REPLACED = [
    (
        InvalidCredentials("Incorrect username or password"),
        APIError(401, "Incorrect username or password", headers=BEARER),
    ),
    (TokenRevoked(), APIError(401, "Token has been revoked", headers=BEARER)),
    (InactiveUser(), APIError(403, "This user account is disabled", error="inactive_user")),
    (
        LoginThrottled(17),
        APIError(429, "Too many failed login attempts; try again later", headers={"Retry-After": "17"}),
    ),
    (NoRunPublished(NO_RUN), APIError(503, NO_RUN, error="no_run_published")),
    (
        HorizonNotFound("Horizon 3 is not in run a"),
        APIError(404, "Horizon 3 is not in run a", error="horizon_not_found"),
    ),
    (ModelNotFound("Model 'x' is not in run a"), APIError(404, "Model 'x' is not in run a", error="model_not_found")),
    (ImageNotFound("Image 'x' is not in run a"), APIError(404, "Image 'x' is not in run a", error="image_not_found")),
    (
        FeatureImportanceNotFound("Run a has no feature importance"),
        APIError(404, "Run a has no feature importance", error="feature_importance_not_found"),
    ),
]


@pytest.mark.parametrize(("domain_error", "api_error"), REPLACED, ids=lambda e: type(e).__name__)
async def test_a_domain_error_answers_the_same_bytes_as_the_http_error_it_replaced(
    domain_error, api_error, monkeypatch
):
    monkeypatch.setattr("servicekit.errors.utc_now", lambda: datetime(2026, 1, 15, 10, 30, tzinfo=UTC))
    app = FastAPI()
    install_error_handlers(app)
    errors = {"domain": domain_error, "http": api_error}

    @app.get("/{kind}")
    async def fail(kind: str) -> None:
        raise errors[kind]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        domain, http = await client.get("/domain"), await client.get("/http")
    assert (domain.status_code, domain.headers.raw, domain.content) == (
        http.status_code,
        http.headers.raw,
        http.content,
    )
