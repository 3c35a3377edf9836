"""Operations CLI, run from forecast/:

python -m api.cli migrate [--revision head]
python -m api.cli create-user --username alice --email alice@example.com [--password ...] [--admin]
python -m api.cli ensure-demo-user          # dev only: creates/resets the demo user, prints credentials
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.orm import Session, sessionmaker

from api.bootstrap import create_user, ensure_user_with_password
from api.config import get_settings
from api.db import migrate as migrations
from api.db.session import build_engine, build_session_factory

DEMO_EMAIL = "demo@forecast.local"


def _session_factory() -> sessionmaker[Session]:
    return build_session_factory(build_engine(get_settings()))


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    migrations.upgrade(settings.sqlalchemy_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Password: ")
    if len(password) < 8:
        print("error: the password needs at least 8 characters", file=sys.stderr)
        return 2
    with _session_factory()() as session, session.begin():
        try:
            user_id = create_user(session, args.username, args.email, password, is_admin=args.admin)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"created user {args.username!r} (id {user_id})")
    return 0


def cmd_ensure_demo_user(_: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.is_prod:
        print("error: ensure-demo-user is refused when APP_ENV=prod", file=sys.stderr)
        return 2
    username, password = settings.demo_username, settings.demo_password.get_secret_value()
    with _session_factory()() as session, session.begin():
        ensure_user_with_password(session, username, DEMO_EMAIL, password)
    port = settings.forecast_port
    print(
        f"Forecast demo user (dev only): username={username} password={password}\n"
        f"  Log in: curl -s -X POST http://127.0.0.1:{port}/api/v1/auth/login "
        f'-H \'Content-Type: application/json\' -d \'{{"username":"{username}","password":"{password}"}}\''
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.cli", description="Forecast API operations")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("migrate", help="apply Alembic migrations (DATABASE_URL)")
    p.add_argument("--revision", default="head")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("create-user", help="create a user")
    p.add_argument("--username", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="prompted for when omitted")
    p.add_argument("--admin", action="store_true")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("ensure-demo-user", help="dev only: create or reset the demo user and print it")
    p.set_defaults(func=cmd_ensure_demo_user)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
