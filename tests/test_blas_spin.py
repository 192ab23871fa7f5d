"""scripts/blas_spin.py: that its per-thread CPU times go to the thread that used the CPU."""
import importlib.util
import threading
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "blas_spin.py"
pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc/self/task (Linux)")


@pytest.fixture(scope="module")
def blas_spin():
    spec = importlib.util.spec_from_file_location("fastnn_blas_spin_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_busy_thread_is_charged_and_a_sleeping_one_is_not(blas_spin):
    started = threading.Event()
    ids = {}

    def spin():
        ids["busy"] = threading.get_native_id()
        started.set()
        end = time.perf_counter() + 0.4
        while time.perf_counter() < end:
            pass

    busy = threading.Thread(target=spin)
    busy.start()
    started.wait()
    before = blas_spin.cpu_seconds()
    time.sleep(0.3)  # the main thread sleeps meanwhile
    after = blas_spin.cpu_seconds()
    busy.join()
    main = threading.get_native_id()
    charged = after[ids["busy"]] - before[ids["busy"]]
    assert charged >= 0.03  # of 0.3 s: it ran on some CPU however loaded the machine
    assert after[main] - before[main] < charged / 2
