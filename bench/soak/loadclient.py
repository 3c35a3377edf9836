"""The soak's load generator, run in its own process by run.py: raw asyncio HTTP/1.1 keep-alive
connections (much cheaper per request than an HTTP library, so more of the 2 cores go to the server).

    python loadclient.py plan.json      # prints "PROGRESS <n>" lines, then one "RESULT {json}" line

The plan names the requests (method, path, headers, body, weight, kind); every worker owns one
connection and one user, and picks requests by weight with its own seeded RNG. Per response it records
the status and latency and, depending on the kind:
- forecast reads: the set of ``generated_at`` values in the body (more than one = a mixed response) and
  a hash of the body per path (a path must show at most one body per published run);
- unitrack predict/whatif: the returned inference id, under the worker's user.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sys
import time
from collections import Counter, defaultdict
from typing import Any


class Closed(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, raw: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise Closed(str(exc)) from exc
        lines = head.split(b"\r\n")
        status = int(lines[0][9:12])
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = b""
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def build_raw(host: str, port: int, req: dict[str, Any]) -> bytes:
    body = req.get("body")
    data = body.encode() if isinstance(body, str) else b""
    lines = [f"{req['method']} {req['path']} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in req.get("headers", {}).items()]
    if req["method"] in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def generated_ats(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "generated_at" and isinstance(item, str):
                found.add(item)
            else:
                generated_ats(item, found)
    elif isinstance(value, list):
        for item in value:
            generated_ats(item, found)
    return found


class Stats:
    def __init__(self) -> None:
        self.latencies_us: list[int] = []
        self.by_kind_latency: dict[str, list[int]] = defaultdict(list)
        self.status: Counter[str] = Counter()
        self.status_by_name: dict[str, Counter[int]] = defaultdict(Counter)
        self.transport_errors = 0
        self.mixed: list[dict[str, Any]] = []
        self.bodies: dict[str, dict[str, list[Any]]] = defaultdict(dict)  # name -> sha -> [count, gens]
        self.generated_seen: Counter[str] = Counter()
        self.ids: dict[int, list[str]] = defaultdict(list)  # worker user index -> inference ids
        self.unexpected: list[dict[str, Any]] = []


async def worker(index: int, plan: dict[str, Any], stats: Stats, state: dict[str, Any]) -> None:
    host, port = plan["host"], plan["port"]
    rng = random.Random(plan.get("seed", 1) * 1000 + index)
    user = plan["users"][index % len(plan["users"])]
    requests = plan["requests"]
    weights = [r["weight"] for r in requests]
    raws = []
    for req in requests:
        filled = json.loads(json.dumps(req).replace("{TOKEN}", user["token"]))
        raws.append(build_raw(host, port, filled))
    conn = Connection(host, port)
    target, min_after = plan["requests_total"], plan.get("min_after_switch", 0)
    while True:
        if state["done"] >= target and state["after_switch"] >= min_after:
            break
        if time.monotonic() > state["deadline"]:
            break
        i = rng.choices(range(len(requests)), weights)[0]
        req = requests[i]
        state["done"] += 1
        started = time.perf_counter_ns()
        try:
            status, headers, body = await conn.request(raws[i])
        except (Closed, OSError):
            stats.transport_errors += 1
            conn.close()
            continue
        elapsed = (time.perf_counter_ns() - started) // 1000
        stats.latencies_us.append(elapsed)
        stats.by_kind_latency[req["kind"]].append(elapsed)
        stats.status[str(status)] += 1
        stats.status_by_name[req["name"]][status] += 1
        expected = req.get("expect", [200])
        if status not in expected:
            if len(stats.unexpected) < 50:
                stats.unexpected.append({"name": req["name"], "status": status, "body": body[:300].decode("latin-1")})
        kind = req["kind"]
        if kind == "forecast_json" and status == 200:
            gens = generated_ats(json.loads(body), set())
            if len(gens) > 1:
                stats.mixed.append({"name": req["name"], "generated_at": sorted(gens)})
            for g in gens:
                stats.generated_seen[g] += 1
            if gens and plan.get("first_generated_at") and plan["first_generated_at"] not in gens:
                state["after_switch"] += 1
            sha = hashlib.sha1(body).hexdigest()
            entry = stats.bodies[req["name"]].setdefault(sha, [0, sorted(gens)])
            entry[0] += 1
        elif kind == "forecast_binary" and status == 200:
            sha = hashlib.sha1(body).hexdigest()
            entry = stats.bodies[req["name"]].setdefault(sha, [0, [headers.get(b"etag", b"").decode()]])
            entry[0] += 1
        elif kind == "forecast_health" and status == 200:
            message = json.loads(body)["services"]["results"]["message"] or ""
            stats.generated_seen["health:" + message.split(",")[0]] += 1
        elif kind in ("predict", "whatif") and status == 200:
            stats.ids[index % len(plan["users"])].append(json.loads(body)["id"])
    conn.close()


def pct(values: list[int], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] / 1000


async def main_async(plan: dict[str, Any]) -> dict[str, Any]:
    stats = Stats()
    state = {"done": 0, "after_switch": 0, "deadline": time.monotonic() + plan.get("max_seconds", 900)}

    async def progress() -> None:
        while True:
            await asyncio.sleep(1)
            print(f"PROGRESS {state['done']} {state['after_switch']}", flush=True)

    reporter = asyncio.create_task(progress())
    started = time.perf_counter()
    await asyncio.gather(*(worker(i, plan, stats, state) for i in range(plan["connections"])))
    elapsed = time.perf_counter() - started
    reporter.cancel()
    n = len(stats.latencies_us)
    return {
        "requests": n,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(n / elapsed, 1),
        "p50_ms": pct(stats.latencies_us, 50),
        "p90_ms": pct(stats.latencies_us, 90),
        "p99_ms": pct(stats.latencies_us, 99),
        "max_ms": pct(stats.latencies_us, 100),
        "by_kind": {
            k: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
            for k, v in sorted(stats.by_kind_latency.items())
        },
        "status": dict(sorted(stats.status.items())),
        "status_by_name": {
            k: {str(s): c for s, c in sorted(v.items())} for k, v in sorted(stats.status_by_name.items())
        },
        "transport_errors": stats.transport_errors,
        "after_switch": state["after_switch"],
        "mixed": stats.mixed[:20],
        "mixed_count": len(stats.mixed),
        "bodies": {name: {sha: v for sha, v in shas.items()} for name, shas in stats.bodies.items()},
        "generated_seen": dict(stats.generated_seen),
        "ids": {str(k): v for k, v in stats.ids.items()},
        "unexpected": stats.unexpected,
    }


def main() -> None:
    plan = json.loads(open(sys.argv[1]).read())
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(main_async(plan))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
