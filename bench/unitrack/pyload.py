"""Fallback load generator when `wrk` is absent: raw asyncio sockets, HTTP/1.1 keep-alive.

One connection per token (user), for --duration seconds: either back to back (closed loop, the
default) or, with --rate, on a fixed schedule (open loop: latency counted from when each request was
due). run.py uses --rate for the latency targets and wrk (or this, closed loop) for throughput.
Prints the same ``BENCH_JSON {...}`` line as load.lua. It runs in its own process, but on a
2-core machine it still takes CPU from the server (more than wrk does), so figures measured with it
are pessimistic; run.py says which client produced them.

    python pyload.py --host 127.0.0.1 --port 18200 --method POST --path /api/v1/predict \
        --tokens tokens.txt --body body.json --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


def build_request(method: str, host: str, port: int, path: str, token: str, body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Authorization: Bearer {token}"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def worker(
    args, request: bytes, deadline: float, latencies: list[int], stats: dict, first: float, interval: float
) -> None:
    """Closed loop when ``interval`` is 0; otherwise open loop: request k is due at first + k*interval
    and its latency is counted from when it was due, not from when it could be sent (no coordinated
    omission: a slow response makes the following requests late, and that lateness is counted)."""
    reader, writer = await asyncio.open_connection(args.host, args.port)
    due = first
    try:
        while True:
            if interval:
                now = time.perf_counter()
                if due >= deadline:
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                started = int(due * 1e9)
                due += interval
            else:
                if time.perf_counter() >= deadline:
                    break
                started = time.perf_counter_ns()
            writer.write(request)
            try:
                status = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                stats["read_errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(args.host, args.port)
                continue
            latencies.append(max(0, time.perf_counter_ns() - started) // 1000)
            stats["ok" if 200 <= status < 300 else "bad"] += 1
    finally:
        writer.close()


async def main_async(args) -> dict:
    tokens = [t for t in open(args.tokens).read().split() if t]
    body = open(args.body, "rb").read() if args.body else None
    latencies: list[int] = []
    stats = [{"ok": 0, "bad": 0, "read_errors": 0} for _ in tokens]
    started = time.perf_counter()
    deadline = started + args.duration
    interval = len(tokens) / args.rate if args.rate else 0.0
    await asyncio.gather(
        *(
            worker(
                args,
                build_request(args.method, args.host, args.port, args.path, tok, body),
                deadline,
                latencies,
                st,
                started + 0.05 + i * interval / len(tokens),
                interval,
            )
            for i, (tok, st) in enumerate(zip(tokens, stats))
        )
    )
    elapsed_us = int((time.perf_counter() - started) * 1e6)
    latencies.sort()

    def pct(q: float) -> int:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q / 100))] if latencies else 0

    return {
        "requests": len(latencies),
        "duration_us": elapsed_us,
        "errors": {
            "connect": 0,
            "read": sum(s["read_errors"] for s in stats),
            "write": 0,
            "status": sum(s["bad"] for s in stats),
            "timeout": 0,
        },
        "p50_us": pct(50),
        "p90_us": pct(90),
        "p99_us": pct(99),
        "p999_us": pct(99.9),
        "max_us": latencies[-1] if latencies else 0,
        "mean_us": sum(latencies) / len(latencies) if latencies else 0.0,
        "per_user": [{"user_index": i, "ok": s["ok"], "bad": s["bad"]} for i, s in enumerate(stats)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--body")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="total requests/s, spread over the connections "
        "on a fixed schedule (open loop); 0 = closed loop, as fast as responses come",
    )
    args = parser.parse_args()
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    print("BENCH_JSON " + json.dumps(asyncio.run(main_async(args))), flush=True)


if __name__ == "__main__":
    main()
