"""Start-up of a new process: the table of issue 10, and what a first fit compiles.

    python scripts/startup_times.py              # the table: cold (empty numba cache), then warm
    python scripts/startup_times.py --profile    # seconds of compilation per kernel and signature
    python scripts/startup_times.py --repeat 3   # medians of 3 runs per cell
    python scripts/startup_times.py --second-install [ROOT]   # a second copy of the package's first fit

Each cell is the wall-clock time of a new interpreter (``python -c``) that imports fastnn (or
scikit-learn) and runs a first fit. "cold" runs with ``NUMBA_CACHE_DIR`` set to a new empty
directory, so every kernel the call needs compiles; "warm" runs again on the same directory, so
they load from numba's on-disk cache. scikit-learn compiles nothing: its cold and warm are the
same run twice. Other processes on the machine inflate the cold figures most.

``--second-install`` copies the package (this checkout's, or the one under ROOT) twice, as two
virtualenvs of one user would hold it, with ``HOME`` and ``XDG_CACHE_HOME`` in a new temporary
directory and ``NUMBA_CACHE_DIR`` unset: the fit from the first copy (cold), then the first fit
from the second copy (warm if the two share the cache), then the second copy's again.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The seed network (seed 004's: 5 tanh units, lr 0.6) on moons, 50 iterations.
FIT = """
import fastnn
X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
fastnn.fit(X, Y, 0.6, 5, 50, seed=0)
"""

ESTIMATOR = """
import warnings
import numpy as np
import {module} as m
rng = np.random.RandomState(0)
X = rng.normal(size=(2000, 2))
y = (X[:, 0] * X[:, 1] > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m.MLPClassifier(max_iter=3, random_state=0).fit(X, y).predict(X)
"""

CASES = {
    "`import fastnn` + `fastnn.fit` (seed network, 50 iterations)": FIT,
    "`import fastnn` + `MLPClassifier(max_iter=3).fit(X, y).predict(X)`": ESTIMATOR.format(module="fastnn"),
    "scikit-learn's `MLPClassifier(max_iter=3).fit(X, y).predict(X)`":
        ESTIMATOR.format(module="sklearn.neural_network"),
}

#: Appended to a case with --profile: numba's event API times every compilation; a kernel's own
#: seconds exclude the callees compiled while it was typed (they are listed on their own).
PROFILE = """
import collections, json, sys, time
import numba.core.event as ev
own = collections.Counter()
count = collections.Counter()
class Listener(ev.Listener):
    stack = []
    def on_start(self, event):
        self.stack.append([time.perf_counter(), 0.0])
    def on_end(self, event):
        began, inner = self.stack.pop()
        spent = time.perf_counter() - began
        if self.stack:
            self.stack[-1][1] += spent
        d = event.data["dispatcher"]
        key = d.py_func.__module__.split(".")[-1] + "." + d.py_func.__qualname__
        dtypes = sorted({str(getattr(a, "dtype", "")) for a in event.data["args"]} - {""})
        key += " [" + ",".join(dtypes) + "]"
        own[key] += spent - inner
        count[key] += 1
ev.register("numba:compile", Listener())
"""
PROFILE_END = """
print(json.dumps({"own": own, "count": count}), file=sys.stderr)
"""


def run(code, cache_dir):
    """Seconds of a new interpreter running ``code`` with ``NUMBA_CACHE_DIR=cache_dir``, and its stderr.

    Python's bytecode cache is on (``PYTHONDONTWRITEBYTECODE`` dropped), as for an installed
    package, whose ``.pyc`` files pip writes: compiling fastnn's sources again in every process
    would add some 0.1 s that no installed fastnn pays."""
    import time

    path = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=path)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode:
        raise RuntimeError(f"the start-up process failed:\n{done.stderr}")
    return seconds, done.stderr


def second_install(root, repeat):
    """Rows ``(case, seconds)``: the fit case from a first copy of ``root``'s package, from a
    second copy, and from the second again; medians of ``repeat`` new users."""
    import compileall
    import shutil
    import time

    cases = ("first install, first fit", "second install, first fit", "second install, second fit")
    seconds = {case: [] for case in cases}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="fastnn-second-install-") as tmp:
            env = {key: value for key, value in os.environ.items()
                   if not key.startswith("NUMBA_CACHE") and key != "PYTHONDONTWRITEBYTECODE"}
            env.update(HOME=f"{tmp}/home", XDG_CACHE_HOME=f"{tmp}/cache")
            sites = [Path(tmp) / name for name in ("first", "second")]
            for site in sites:
                shutil.copytree(Path(root) / "fastnn", site / "fastnn", ignore=shutil.ignore_patterns("__pycache__"))
                compileall.compile_dir(site, quiet=1)  # as pip does
            for case, site in zip(cases, sites + sites[1:]):
                began = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", FIT], env=dict(env, PYTHONPATH=str(site)), cwd=tmp,
                                      capture_output=True, text=True)
                seconds[case].append(time.perf_counter() - began)
                if done.returncode:
                    raise RuntimeError(f"the start-up process failed:\n{done.stderr}")
    return [(case, statistics.median(values)) for case, values in seconds.items()]


def table(repeat):
    """Rows ``(case, cold seconds, warm seconds)``, medians of ``repeat`` fresh cache directories."""
    with tempfile.TemporaryDirectory(prefix="fastnn-startup-") as cache:
        run("import fastnn, sklearn.neural_network", cache)  # writes the bytecode caches, if missing
    rows = []
    for label, code in CASES.items():
        cold, warm = [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="fastnn-startup-") as cache:
                cold.append(run(code, cache)[0])
                warm.append(run(code, cache)[0])
        rows.append((label, statistics.median(cold), statistics.median(warm)))
    return rows


def profile(code):
    """Print the compile seconds of each kernel (and signature's dtypes) a cold run of ``code`` spends."""
    import json

    with tempfile.TemporaryDirectory(prefix="fastnn-startup-") as cache:
        seconds, stderr = run(PROFILE + code + PROFILE_END, cache)
    result = json.loads(stderr.strip().splitlines()[-1])
    own = sorted(result["own"].items(), key=lambda item: -item[1])
    print(f"{seconds:.1f} s in all, {sum(result['own'].values()):.1f} s compiling "
          f"{sum(result['count'].values())} signatures:")
    for key, spent in own:
        print(f"  {spent:7.2f} s  {result['count'][key]:3d}x  {key}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell, the median is shown (default 1)")
    parser.add_argument("--profile", action="store_true", help="compile seconds per kernel of each fastnn case")
    parser.add_argument("--second-install", nargs="?", const=str(ROOT), metavar="ROOT",
                        help="the fit case from two copies of the package under ROOT (default this checkout)")
    args = parser.parse_args()
    if args.second_install:
        print(f"| {args.second_install}: fit case, new user, no NUMBA_CACHE_DIR | seconds |\n|---|---:|")
        for case, seconds in second_install(args.second_install, args.repeat):
            print(f"| {case} | {seconds:.2f} s |")
        print(f"\n{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the end")
        return
    if args.profile:
        for label, code in list(CASES.items())[:2]:
            print(label)
            profile(code)
        return
    print("| first use in a new process | empty cache | warm cache |\n|---|---:|---:|")
    for label, cold, warm in table(args.repeat):
        print(f"| {label} | {cold:.2f} s | {warm:.2f} s |")
    print(f"\n{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
