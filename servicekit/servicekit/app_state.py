"""One typed container per app instead of loose ``app.state`` attributes.

Each service defines a frozen dataclass of what its requests need (settings, engines, stores) and
installs one instance when the app is built or started; dependencies and middleware read it back with
its type, so a typo or a missing piece fails at once rather than as an AttributeError deep in a
request. A test that wants another piece installs a copy made with ``dataclasses.replace``.
"""

from __future__ import annotations

from typing import TypeVar

from starlette.applications import Starlette

State = TypeVar("State")

_ATTRIBUTE = "services"  # the one attribute of app.state, holding the container


def install_app_state(app: Starlette, state: object) -> None:
    setattr(app.state, _ATTRIBUTE, state)


def read_app_state(app: Starlette, kind: type[State]) -> State:
    state = getattr(app.state, _ATTRIBUTE, None)
    if not isinstance(state, kind):
        raise RuntimeError(f"the app holds no {kind.__name__}: it is installed when the app is built or started")
    return state
