"""Command line: ``cd backend && python -m app.cli {token,migrate,import-courses}``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.core.config import BACKEND_DIR, Settings, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(BACKEND_DIR / "alembic.ini"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings.sqlalchemy_url), revision)


def _cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    if settings.auth_mode != "local":
        print("token: only available with AUTH_MODE=local", file=sys.stderr)
        return 2
    from app.core.local_auth import LocalSigner

    print(LocalSigner(settings).issue(args.email, ttl_seconds=args.ttl, admin=args.admin))
    return 0


def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings, args.revision)
    return 0


def _cmd_import_courses(settings: Settings, args: argparse.Namespace) -> int:
    from app.services.catalog import CatalogError

    try:
        count = asyncio.run(_import_courses(settings, Path(args.path)))
    except (CatalogError, OSError) as exc:
        print(f"import-courses: {exc}", file=sys.stderr)
        return 1
    print(f"imported {count} course(s)")
    return 0


async def _import_courses(settings: Settings, path: Path) -> int:
    from app.db.engine import create_db_engine, make_session_factory
    from app.db.session import transaction
    from app.services.catalog import import_courses

    engine = create_db_engine(settings)
    try:
        async with transaction(make_session_factory(engine)) as session:
            return await import_courses(session, path)
    finally:
        await engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="UniTrack API tools")
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="print a dev access token (AUTH_MODE=local only)")
    token.add_argument("--email", required=True)
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--admin", action="store_true", help="app_metadata.role = admin (may reload the model)")
    token.set_defaults(func=_cmd_token)
    mig = sub.add_parser("migrate", help="apply database migrations (alembic upgrade)")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=_cmd_migrate)
    imp = sub.add_parser("import-courses", help="upsert the course catalog from a CSV file")
    imp.add_argument("path")
    imp.set_defaults(func=_cmd_import_courses)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    return int(args.func(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
