"""Who uses the CPU while fastnn predicts right after scikit-learn: CPU time per thread.

After a threaded call, OpenBLAS's worker threads keep spinning for about 0.1 s before they sleep.
A fastnn prediction that starts within that time (``compare_estimators.py``'s predict cases, where
fastnn's call follows scikit-learn's at once) shares a core with them. This script times fastnn's
``predict_proba`` right after scikit-learn's and after a rest, and adds up the CPU time of each
kind of thread during fastnn's calls (Linux: ``/proc/self/task``):

- ``main``: the calling thread;
- ``BLAS``: the threads NumPy's and SciPy's OpenBLAS started when they loaded, before fastnn ran;
- ``fastnn``: the threads started since: numba's workers (the parallel twin; fastnn's wide
  layers call SciPy's BLAS on them, one BLAS thread each), and any background load of a twin.

    python scripts/blas_spin.py             # (p) and (q)
    python scripts/blas_spin.py --only q
"""
import argparse
import os
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS, which starts its threads)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_estimators import PAUSE, PREDICT_CASES, predict_models  # noqa: E402

TASKS = Path("/proc/self/task")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def thread_ids():
    """The ids of this process's threads."""
    return {int(path.name) for path in TASKS.iterdir()}


def cpu_seconds():
    """``{thread id: user + system CPU seconds}`` of this process's threads."""
    seconds = {}
    for path in TASKS.iterdir():
        try:
            fields = (path / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds[int(path.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    return seconds


def measure(case, rounds, kinds):
    """Median seconds of fastnn's ``predict_proba`` right after scikit-learn's and after a rest, and
    the CPU seconds per call of each kind of thread (``kinds``: thread id -> kind) during them."""
    X, theirs, ours = predict_models(case)
    for _ in range(4):  # loads the parallel twin (in the background) and runs it
        ours.predict_proba(X)
        time.sleep(PAUSE)
    results = {}
    for state in ("after scikit-learn", "after a rest"):
        walls, cpu = [], {}
        for _ in range(rounds):
            if state == "after scikit-learn":
                theirs.predict_proba(X)
            else:
                time.sleep(PAUSE)
            before = cpu_seconds()
            start = time.perf_counter()
            ours.predict_proba(X)
            walls.append(time.perf_counter() - start)
            for tid, seconds in cpu_seconds().items():
                kind = kinds.get(tid, "fastnn")
                cpu[kind] = cpu.get(kind, 0.0) + seconds - before.get(tid, seconds)
        results[state] = statistics.median(walls), {kind: total / rounds for kind, total in cpu.items()}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="p,q", help="comma-separated predict case letters (default p,q)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    if not TASKS.is_dir():
        sys.exit("blas_spin.py reads /proc/self/task: Linux only")
    warnings.simplefilter("ignore")
    kinds = {tid: "BLAS" for tid in thread_ids()}
    kinds[threading.get_native_id()] = "main"
    chosen = {f"({letter.strip()})" for letter in args.only.split(",")}
    print(f"fastnn predict_proba, median of {args.rounds}; CPU ms per call by thread kind ({_TICK} ticks a second)")
    for case in PREDICT_CASES:
        if case.name.split()[0] not in chosen:
            continue
        for state, (wall, cpu) in measure(case, args.rounds, kinds).items():
            shares = ", ".join(f"{kind} {1e3 * cpu.get(kind, 0.0):.0f}" for kind in ("main", "fastnn", "BLAS"))
            print(f"{case.name:<44} {state:<19} {1e3 * wall:7.1f} ms   CPU ms: {shares}")


if __name__ == "__main__":
    main()
