"""A front end logs into the forecast API, reads what the dashboard shows and draws a chart."""

from __future__ import annotations

import httpx


def test_a_page_logs_in_reads_the_dashboard_and_decodes_a_chart(page, forecast_api, allowed_origin):
    page.open(allowed_origin)

    shown = page.run("forecastDashboard", forecast_api.base, forecast_api.username, forecast_api.password)

    assert shown["login"] == {"status": 200}, shown
    for name in ("dashboard", "forecasts", "models", "images"):
        assert shown[name]["status"] == 200, (name, shown[name])
    # What the page read is what the API serves to that token.
    direct = httpx.Client(base_url=forecast_api.base, headers={"Authorization": f"Bearer {shown['token']}"})
    with direct:
        assert shown["dashboard"]["body"] == direct.get("/api/v1/forecasts/dashboard").json()
        assert shown["models"]["body"] == direct.get("/api/v1/models/").json()
        assert shown["forecasts"]["body"]["total"] == direct.get("/api/v1/forecasts/").json()["total"] > 0
    assert page.text("#best-model") == [shown["dashboard"]["body"]["best_model"]]
    assert page.text("#model-names") == [", ".join(m["model_name"] for m in shown["models"]["body"])]
    # The chart went through fetch with the token, and decoded at the size the run's metadata says.
    width, height = shown["images"]["body"]["images"][0]["dimensions"]
    assert shown["chart"] == {"status": 200, "type": "image/png", "width": width, "height": height}
    assert width > 0
    assert page.driver.execute_script("return document.getElementById('chart').naturalWidth") == width
