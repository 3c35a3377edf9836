import threading
import time

import api.security as security


def test_password_verifications_are_capped_so_a_login_flood_cannot_exhaust_memory(monkeypatch):
    running, peak, lock = 0, 0, threading.Lock()

    class SlowHasher:
        def verify(self, password: str, hashed: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return False

    monkeypatch.setattr(security, "_password_hash", SlowHasher())
    monkeypatch.setattr(security, "_verification_slots", threading.BoundedSemaphore(2))
    threads = [threading.Thread(target=security.verify_password, args=("pw", None)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2
