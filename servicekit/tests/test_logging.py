"""The kit's logging: the same keys in JSON (production) and console (development) lines, for structlog
and the standard library alike, and never a secret. Each case configures logging in a fresh
interpreter, so this test process's own logging is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from servicekit.logging import REDACTED, scrub_secrets

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
SCRIPT = """
import logging, structlog
from servicekit.logging import configure_logging, get_logger
configure_logging("INFO", json_logs={json_logs})
structlog.contextvars.bind_contextvars(request_id="req-7", trace_id="t" * 32)
get_logger("kit.test").info("structlog_line", password="hunter2", note="Bearer {token}")
logging.getLogger("kit.stdlib").warning("stdlib line to postgresql://u:pw@db/x")
logging.getLogger("kit.stdlib").debug("below the level")
try:
    1 / 0
except ZeroDivisionError:
    get_logger("kit.test").exception("failed")
"""


def _run(json_logs: bool) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT.format(json_logs=json_logs, token=TOKEN))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_production_lines_are_json_with_the_same_keys_from_structlog_and_the_standard_library() -> None:
    out = _run(json_logs=True)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["event"] for line in lines][:2] == ["structlog_line", "stdlib line to postgresql://[redacted]"]
    assert len(lines) == 3  # the debug line is below the level
    keys = {"timestamp", "level", "logger", "event", "request_id", "trace_id"}
    for line in lines:
        assert keys <= set(line), line
        assert line["request_id"] == "req-7" and line["timestamp"].endswith("Z")
    assert [line["logger"] for line in lines] == ["kit.test", "kit.stdlib", "kit.test"]
    assert [line["level"] for line in lines] == ["info", "warning", "error"]
    assert lines[0]["password"] == REDACTED and lines[0]["note"] == "Bearer [redacted]"
    assert "ZeroDivisionError" in lines[2]["exception"]
    assert "hunter2" not in out and TOKEN not in out and "u:pw" not in out


def test_development_lines_are_readable_console_lines_with_the_same_fields() -> None:
    out = _run(json_logs=False)
    lines = out.splitlines()
    assert not any(line.startswith("{") for line in lines)
    first = next(line for line in lines if "structlog_line" in line)
    stdlib = next(line for line in lines if "stdlib line" in line)
    for line in (first, stdlib):
        assert "[" in line and "request_id=req-7" in line and "trace_id=" in line
    assert "kit.test" in first and "kit.stdlib" in stdlib and "\x1b[" not in out  # no colours off a terminal
    assert "ZeroDivisionError" in out and "below the level" not in out
    assert "hunter2" not in out and TOKEN not in out and "u:pw" not in out


def test_a_logger_used_before_stdout_is_swapped_writes_to_the_new_stdout() -> None:
    script = """
    import io, sys
    from servicekit.logging import configure_logging, get_logger
    configure_logging("INFO")
    log = get_logger("kit.cached")
    log.info("first")
    captured = sys.stdout = io.StringIO()
    log.info("second")
    configure_logging("INFO")  # a second app in the same process
    log.info("third")
    sys.stdout = sys.__stdout__
    print(repr(captured.getvalue()))
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, swapped = done.stdout.splitlines()
    assert "first" in first
    assert "second" in swapped and "third" in swapped and swapped.count("kit.cached") == 2


def test_the_scrubber_masks_sensitive_keys_tokens_and_connection_strings() -> None:
    event = scrub_secrets(
        None,
        "info",
        {
            "event": "oops Bearer abc.def.ghi and postgresql://u:p@h/d and redis://:pw@cache:6379/0",
            "Authorization": "Bearer x",
            "secret_key": "k",
            "note": TOKEN,
            "count": 3,
        },
    )
    assert "abc.def" not in event["event"] and "u:p@h" not in event["event"] and ":pw@" not in event["event"]
    assert event["Authorization"] == REDACTED and event["secret_key"] == REDACTED
    assert event["note"] == "[redacted-jwt]" and event["count"] == 3
