"""The per-user kernel cache: a second install of the same kernels starts warm, NUMBA_CACHE_DIR
still wins, an unwritable home still works, and processes saving at once keep every entry.

Each runs in subprocesses, since the cache directory is chosen when a process imports fastnn.
Only the first fit of the module fixture compiles (cold); every other process loads or compiles
nothing.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: A fit, then what the process found: where the cache is, and cache hits and misses summed over
#: every kernel it dispatched to.
FIT = """
    import json, sys
    import fastnn
    from fastnn.kernels import cache, options
    X, Y = fastnn.datasets.moons(200, 0.25, seed=0)
    params, costs = fastnn.fit(X, Y, 0.6, 3, 20, seed=0)
    kernels = [value for name, module in sys.modules.items() if name.startswith("fastnn.kernels.")
               for value in vars(module).values() if isinstance(value, options.Kernel)]
    info = cache.cache_info()
    print(json.dumps(dict(kind=info["kind"], path=str(info["path"]), file=fastnn.__file__, cost=costs[-1],
                          hits=sum(sum(k.stats.cache_hits.values()) for k in kernels),
                          misses=sum(sum(k.stats.cache_misses.values()) for k in kernels))))
"""

INFO = "from fastnn.kernels import cache; import json; info = cache.cache_info(); " \
       "print(json.dumps(dict(kind=info['kind'], path=str(info['path']))))"


def run_python(code, env, cwd):
    """The JSON a new interpreter running ``code`` in ``cwd`` prints last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def files_under(path):
    """Every file under ``path`` with its size and modification time."""
    found = {}
    for folder, _, names in os.walk(path):
        for name in names:
            status = os.stat(os.path.join(folder, name))
            found[os.path.relpath(os.path.join(folder, name), path)] = (status.st_size, status.st_mtime_ns)
    return found


def environment(tmp, site):
    """A user whose home and cache are under ``tmp``, fastnn imported from ``site``, no
    NUMBA_CACHE_DIR, no bytecode written (so that nothing at all is written in the package)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")}
    env.update(PYTHONPATH=str(site), HOME=str(tmp / "home"), XDG_CACHE_HOME=str(tmp / "cache"),
               PYTHONDONTWRITEBYTECODE="1", NUMBA_NUM_THREADS="2")
    return env


def copy_package(site):
    shutil.copytree(os.path.join(ROOT, "fastnn"), site / "fastnn", ignore=shutil.ignore_patterns("__pycache__"))
    return site


@pytest.fixture(scope="module")
def two_installs(tmp_path_factory):
    """Two copies of the package for one user; the first has fitted once (the only cold compile)."""
    tmp = tmp_path_factory.mktemp("user")
    first, second = copy_package(tmp / "first"), copy_package(tmp / "second")
    packages = {site: files_under(site) for site in (first, second)}
    cold = run_python(FIT, environment(tmp, first), cwd=tmp)
    return dict(tmp=tmp, first=first, second=second, packages=packages, cold=cold,
                cached=files_under(cold["path"]))


def test_a_second_install_loads_every_kernel_the_first_one_compiled(two_installs):
    """The second copy finds the first one's directory (under the user's cache directory, named by
    the kernels' digest and numba's version), loads every kernel it runs from it and compiles
    none, writes nothing there or in either package, and fits the same bits."""
    tmp, cold = two_installs["tmp"], two_installs["cold"]
    warm = run_python(FIT, environment(tmp, two_installs["second"]), cwd=tmp)
    assert cold["file"].startswith(str(two_installs["first"])) and warm["file"].startswith(str(two_installs["second"]))
    assert cold["kind"] == warm["kind"] == "user" and cold["path"] == warm["path"]
    assert cold["path"].startswith(str(tmp / "cache" / "fastnn" / "kernels"))
    assert cold["misses"] > 0 and cold["hits"] == 0
    assert warm["misses"] == 0 and warm["hits"] > 0
    assert warm["cost"] == cold["cost"]
    assert any(name.endswith(".nbi") for name in two_installs["cached"])
    assert files_under(cold["path"]) == two_installs["cached"]
    for site, before in two_installs["packages"].items():
        assert files_under(site) == before


def test_numba_cache_dir_wins_and_an_unwritable_home_falls_back_to_the_package(two_installs, tmp_path):
    """NUMBA_CACHE_DIR comes before the per-user directory; with no writable home (its cache
    directory under a file), a writable package caches in its own ``__pycache__``."""
    env = environment(tmp_path, two_installs["second"])
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    chosen = run_python(INFO, env, cwd=tmp_path)
    assert chosen["kind"] == "NUMBA_CACHE_DIR" and chosen["path"].startswith(str(tmp_path / "numba"))
    (tmp_path / "file").write_text("")
    env = environment(tmp_path / "file", two_installs["second"])
    chosen = run_python(INFO, env, cwd=tmp_path)
    assert chosen == dict(kind="package", path=str(two_installs["second"] / "fastnn" / "kernels" / "__pycache__"))
    assert "~" not in os.listdir(tmp_path)  # no home: numba's "~/.cache" would be a "~" directory here


def test_a_new_version_keeps_the_newest_other_directories_and_nothing_else_is_touched(two_installs, tmp_path):
    """Each kernels digest or numba version gets its own per-user directory; making a new one deletes
    all but the newest few others (each is some 10-25 MB), and never anything not named like one."""
    from fastnn.kernels.cache import KEEP_USER_DIRECTORIES

    root = tmp_path / "cache" / "fastnn" / "kernels"
    old = [f"{n:016x}-numba-0.1-llvmlite-0.1" for n in range(KEEP_USER_DIRECTORIES + 3)]
    for age, name in enumerate(old):
        (root / name).mkdir(parents=True)
        os.utime(root / name, (time.time() - 1000 * age,) * 2)
    (root / "mine").mkdir()
    chosen = run_python(INFO, environment(tmp_path, two_installs["second"]), cwd=tmp_path)
    kept = sorted(os.listdir(root))
    assert os.path.basename(chosen["path"]) in kept and "mine" in kept
    assert sorted(set(kept) - {"mine", os.path.basename(chosen["path"])}) == old[:KEEP_USER_DIRECTORIES - 1]


RACE = """
    import sys, time
    from fastnn.kernels.cache import LockedIndexDataCacheFile
    file = LockedIndexDataCacheFile(sys.argv[1], "kernel-1.py311", "stamp")
    while time.time() < float(sys.argv[2]):
        time.sleep(0.001)
    for i in range(40):
        file.save((sys.argv[3], i), f"{sys.argv[3]}-{i}")
"""


def test_processes_saving_into_one_cache_at_once_keep_every_entry_and_its_own_data(tmp_path):
    """Four processes save 40 signatures each into one kernel's index at once. numba's own save
    (read the index, add, write back) loses entries and points some at another signature's
    data file (with numba's class here: 61 of 160 kept, 34 of those wrong); under the lock every
    entry is kept with its own data."""
    from numba.core.caching import IndexDataCacheFile

    env = dict(os.environ, PYTHONPATH=ROOT)
    start = time.time() + 3  # after every interpreter has started
    workers = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(RACE), str(tmp_path), str(start), name],
                                env=env, cwd=tmp_path) for name in "abcd"]
    assert all(worker.wait(timeout=120) == 0 for worker in workers)
    index = IndexDataCacheFile(str(tmp_path), "kernel-1.py311", "stamp")
    entries = index._load_index()
    assert sorted(entries) == sorted((name, i) for name in "abcd" for i in range(40))
    assert all(index.load(key) == f"{key[0]}-{key[1]}" for key in entries)


def test_the_cache_command_says_where_the_kernels_are_cached(two_installs, tmp_path):
    env = environment(two_installs["tmp"], two_installs["second"])
    done = subprocess.run([sys.executable, "-m", "fastnn", "cache"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"kernels cached in: {two_installs['cold']['path']} (per user" in done.stdout
    assert "files" in done.stdout and "package" in done.stdout
