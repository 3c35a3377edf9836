"""Swagger UI at ``/docs`` with every asset served by the service itself.

FastAPI's default page loads Swagger UI from a CDN, so ``/docs`` is blank wherever the browser cannot
reach it (CI and these machines have no internet; a strict network policy in production does the
same). The assets come from the pinned ``fastapi-offline`` package instead, which ships Swagger UI 5
(the first major version that renders OpenAPI 3.1, which FastAPI emits); only its static files are
used, the app stays a plain ``FastAPI``.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

SWAGGER_UI_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def serve_docs(app: FastAPI, docs_url: str) -> None:
    """Serve Swagger UI for ``app.openapi_url`` at ``docs_url``, its assets under ``docs_url/assets``.

    Build the app with ``docs_url=None`` so FastAPI does not add its CDN page first.
    """
    if app.openapi_url is None:
        raise ValueError("serve_docs needs the app's openapi_url")
    openapi_url = app.openapi_url
    assets_url = f"{docs_url}/assets"
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    app.mount(assets_url, StaticFiles(directory=SWAGGER_UI_ASSETS), name="swagger-ui-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", ""))
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + oauth2_redirect_url,
            swagger_js_url=f"{root}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_url}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
