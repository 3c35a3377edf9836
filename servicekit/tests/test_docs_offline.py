"""serve_docs: the Swagger UI page names only the service's own URLs, and the service serves them.
(The browser suite, browser/test_docs.py, renders it in Chromium with no host but loopback.)"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from servicekit.docs import serve_docs


def _app() -> FastAPI:
    app = FastAPI(title="Kit API", openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    serve_docs(app, "/api/v1/docs")
    return app


@pytest.mark.asyncio
async def test_the_docs_page_loads_swagger_ui_from_the_service_itself():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        page = await client.get("/api/v1/docs")
        assert page.status_code == 200
        assert re.search(r"https?://", page.text) is None, page.text
        urls = re.findall(r"""(?:href|src|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
        assert sorted(urls) == [
            "/api/v1/docs/assets/favicon.png",
            "/api/v1/docs/assets/swagger-ui-bundle.js",
            "/api/v1/docs/assets/swagger-ui.css",
            "/api/v1/openapi.json",
        ]
        for url in [*urls, "/api/v1/docs/oauth2-redirect"]:
            assert (await client.get(url)).status_code == 200, url


def test_the_docs_routes_stay_out_of_the_openapi_document():
    paths = _app().openapi()["paths"]
    assert not any("docs" in path for path in paths)
