"""/docs renders Swagger UI for both APIs with every asset from the API itself: the browser resolves
no host but loopback (conftest.CHROMIUM_ARGS), so a page that needed a CDN would stay blank."""

from __future__ import annotations

import pytest


@pytest.mark.one_database
@pytest.mark.parametrize(
    ("api", "docs_path", "title"),
    [("unitrack", "/api/v1/docs", "UniTrack API"), ("forecast", "/docs", "Forecast API")],
)
def test_docs_render_swagger_ui_with_nothing_fetched_beyond_loopback(
    page, unitrack_api, forecast_api, api, docs_path, title
):
    base = {"unitrack": unitrack_api, "forecast": forecast_api}[api].base

    page.driver.get(base + docs_path)
    shown = page.wait_for(".swagger-ui .info .title", f"Swagger UI did not render at {base}{docs_path}")
    # The operations, read from the API's own OpenAPI document.
    page.wait_for(".swagger-ui .opblock", f"Swagger UI at {base}{docs_path} shows no operation")
    urls = page.requested_urls()

    assert shown.text.splitlines()[0] == title
    assert f"{base}{docs_path}/assets/swagger-ui-bundle.js" in urls, urls
    assert [url for url in urls if not url.startswith(base + "/")] == []
