"""CPU per /predict in one process, without the network or a load generator: httpx's ASGI transport
calls the app directly, sequentially, on the PostgreSQL bench database (mock model, rate limiter off).
For A/B comparisons of the request path itself; the client's share is the same on both sides.

    PYTHONPATH=<tree>:<tree>/servicekit:<tree>/backend .venv/bin/python bench/unitrack/inproc_predict.py LABEL
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.core.config import Settings
from app.core.local_auth import LocalSigner
from app.main import create_app

DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/unitrack_matrix"  # matrix.prepare_database makes it
BODY = {
    "cod_persona": 1,
    "cod_curso": "CS2H1",
    "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3, "AVG_NG": 12.5, "PRCTJE-NPC-S": 20},
}


async def main(label: str, rounds: int = 5, requests: int = 600) -> None:
    folder = Path(tempfile.mkdtemp(prefix="inproc-predict-"))
    settings = Settings(
        _env_file=None,
        app_env="dev",
        auth_mode="local",
        local_auth_key_path=folder / "key.pem",
        database_url=DATABASE_URL,
        rate_limit_predict="0",
        model_path=folder / "no-model.pkl",
        model_watch_seconds=0,
        log_level="WARNING",
        db_pool_size=4,
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {LocalSigner(settings).issue('inproc@bench.local')}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(300):  # warm-up: connections, prepared statements, caches
                assert (await client.post("/api/v1/predict", json=BODY, headers=headers)).status_code == 200
            per_request = []
            for _ in range(rounds):
                started = time.process_time()
                for _ in range(requests):
                    await client.post("/api/v1/predict", json=BODY, headers=headers)
                per_request.append(1e6 * (time.process_time() - started) / requests)
    figures = " ".join(f"{value:.0f}" for value in per_request)
    print(f"{label}: CPU us per /predict (client + app) {figures}; best {min(per_request):.0f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "run"))
