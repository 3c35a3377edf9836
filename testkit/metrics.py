"""What both services' /metrics must do in production, checked the same way in each suite."""

from __future__ import annotations

from typing import Any

import httpx


async def assert_metrics_need_the_token(with_token: Any, without_token: Any, token: str) -> None:
    """``with_token``: a production app configured with METRICS_TOKEN=``token``; ``without_token``: the
    same app with none. /metrics answers 401 without the token or with a wrong one, 200 with it, and
    404 when no token is configured (never open in production)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_token), base_url="http://t") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200 and "http_requests_total" in right.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=without_token), base_url="http://t") as client:
        assert (await client.get("/metrics")).status_code == 404
