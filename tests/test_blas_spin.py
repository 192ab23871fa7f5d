"""scripts/blas_spin.py: that its per-thread CPU times go to the thread that used the CPU."""
import threading
import time
from pathlib import Path

import pytest

from .conftest import load_script

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc/self/task (Linux)")


@pytest.fixture(scope="module")
def blas_spin():
    return load_script("blas_spin")


def test_a_busy_thread_is_charged_and_a_sleeping_one_is_not(blas_spin):
    started, stop = threading.Event(), threading.Event()
    ids = {}

    def spin():  # busy until told to stop, so that it is alive at both readings
        ids["busy"] = threading.get_native_id()
        started.set()
        while not stop.is_set():
            pass

    busy = threading.Thread(target=spin)
    busy.start()
    try:
        started.wait()
        before = blas_spin.cpu_seconds()
        time.sleep(0.3)  # the main thread sleeps meanwhile
        after = blas_spin.cpu_seconds()
    finally:
        stop.set()
        busy.join()
    main = threading.get_native_id()
    charged = after[ids["busy"]] - before[ids["busy"]]
    assert charged >= 0.03  # of 0.3 s: it ran on some CPU however loaded the machine
    assert after[main] - before[main] < charged / 2
