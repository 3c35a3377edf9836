"""Logs: one access line per request with its id, and never tokens or the database URL."""

from __future__ import annotations

from authkit import bearer, make_token


async def test_access_log_has_request_id_but_no_secrets(make_client, capsys, database_url):
    token = make_token()
    async with make_client(log_level="INFO") as client:
        await client.get("/api/v1/auth/me", headers={**bearer(token), "X-Request-ID": "req-42"})
        await client.get("/api/v1/auth/me", headers=bearer(make_token(aud="wrong")))
    out = capsys.readouterr().out
    access = [line for line in out.splitlines() if "request" in line and "/auth/me" in line]
    assert len(access) == 2
    assert "req-42" in access[0]
    assert token not in out and token.split(".")[1] not in out
    assert "Bearer" not in out
    if "@" in database_url:
        assert database_url.split("@")[1] not in out


def test_scrubber_masks_tokens_and_dsns():
    from servicekit.logging import scrub_secrets

    event = scrub_secrets(
        None,
        "info",
        {
            "event": "oops Bearer abc.def.ghi and postgresql://u:p@h/d",
            "authorization": "Bearer x",
            "note": make_token(),
        },
    )
    assert "abc.def" not in event["event"] and "u:p@h" not in event["event"]
    assert event["authorization"] == "[redacted]"
    assert event["note"] == "[redacted-jwt]"
