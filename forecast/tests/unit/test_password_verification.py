import threading
import time

import api.security as security

HANG_BOUND_SECONDS = 30  # only bounds a hang; the states below are reached in milliseconds


class CountingSlots(threading.BoundedSemaphore):
    """The verification semaphore, counting who asked for a slot and who got one."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.asked = self.got = 0
        self._count = threading.Lock()

    def __enter__(self):
        with self._count:
            self.asked += 1
        entered = super().__enter__()
        with self._count:
            self.got += 1
        return entered


def test_password_verifications_are_capped_so_a_login_flood_cannot_exhaust_memory(monkeypatch):
    running, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    class BlockedHasher:
        """Holds every verification open until the test has seen the flood settle."""

        def verify(self, password: str, hashed: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            release.wait(HANG_BOUND_SECONDS)
            with lock:
                running -= 1
            return False

    slots = CountingSlots(2)
    monkeypatch.setattr(security, "_password_hash", BlockedHasher())
    monkeypatch.setattr(security, "_verification_slots", slots)
    threads = [threading.Thread(target=security.verify_password, args=("pw", None)) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        # Settled: all 8 asked for a slot and everyone who got one is inside verify. The verifications
        # cannot finish before `release`, so nobody else can get a slot: the state is final.
        deadline = time.monotonic() + HANG_BOUND_SECONDS
        while not (slots.asked == 8 and slots.got == running):
            assert time.monotonic() < deadline, (slots.asked, slots.got, running)
            time.sleep(0.01)  # polling step
        assert running == 2 and slots.got == 2  # six logins wait for a slot instead of hashing
    finally:
        release.set()
        for thread in threads:
            thread.join(HANG_BOUND_SECONDS)
    assert peak == 2 and slots.got == 8  # and every one of them is verified in the end
