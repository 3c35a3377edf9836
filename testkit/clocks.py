"""Time in tests without reading the wall clock: a clock the test moves by hand, and a bound that
only catches a hang.

Speed is measured in bench/, never asserted in a suite: a busy 2-core CI machine makes any
``elapsed < X`` flaky. Code that waits for a period (a cooldown, a fail-open period, a window) takes
a ``clock`` callable; tests pass a :class:`ManualClock` and move it past the period instead of
sleeping through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

# Far above anything a correct run needs even on a loaded machine; reaching it means "hangs".
HANG_SECONDS = 30.0


class ManualClock:
    """A monotonic clock that moves only when the test calls :meth:`advance`."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def without_hanging(awaitable: Awaitable[T], what: str, seconds: float = HANG_SECONDS) -> T:
    """``await awaitable``, failing the test if it is still pending after ``seconds`` (a hang, e.g. a
    missing timeout), rather than waiting forever. Not a speed check."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        raise AssertionError(f"{what} still pending after {seconds:.0f} s: it hangs") from None
