"""Start-up: caching where numba cannot, the lazily compiled parallel twin, threads under workqueue.

Each runs in a subprocess, since what it tests is decided when a process imports fastnn.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, env=None, cwd=None, timeout=600):
    """stdout of a new interpreter running ``code`` (in ``cwd``: it comes first on sys.path)."""
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONPATH", ROOT)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def files_under(path):
    return sorted(os.path.relpath(os.path.join(folder, name), path)
                  for folder, _, names in os.walk(path) for name in names)


def test_a_fit_succeeds_where_nothing_numba_would_use_is_writable_and_warns_once(tmp_path):
    """A copy of the package whose ``kernels/__pycache__`` cannot be a directory (a file stands
    there: not writable even for root), HOME and XDG_CACHE_HOME under a file: numba's own
    ``cache=True`` raises "no locator available" there (checked on a probe module), while fastnn
    fits, warns once, caches in a private temporary directory, loads from it on the second run,
    and writes nothing inside the package."""
    site = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "fastnn"), site / "fastnn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (site / "fastnn" / "kernels" / "__pycache__").write_text("not a directory")
    (site / "fastnn" / "kernels" / "probe.py").write_text("import numba\n@numba.njit(cache=True)\ndef f(x):\n"
                                                         "    return x\n")
    (tmp_path / "file").write_text("")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_CACHE")}
    env.update(PYTHONPATH=str(site), HOME=str(tmp_path / "file" / "home"), XDG_CACHE_HOME=str(tmp_path / "file" / "c"),
               TMPDIR=str(temporary), PYTHONDONTWRITEBYTECODE="1")
    before = files_under(site)
    code = """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fastnn
            try:
                import fastnn.kernels.probe
                numba_fails = False
            except RuntimeError as error:
                numba_fails = "no locator available" in str(error)
            from fastnn.kernels.cache import CacheWarning
            from fastnn.kernels.train import gradient_descent
            X, Y = fastnn.datasets.moons(200, 0.25, seed=0)
            params, costs = fastnn.fit(X, Y, 0.6, 3, 20, seed=0)
        print(json.dumps(dict(numba_fails=numba_fails, warned=sum(w.category is CacheWarning for w in caught),
                              hits=sum(gradient_descent.stats.cache_hits.values()), cost=costs[-1])))
    """
    cold = json.loads(run_python(code, env, cwd=tmp_path))
    warm = json.loads(run_python(code, env, cwd=tmp_path))
    assert cold["numba_fails"], "the set-up does not reproduce numba's failure"
    assert cold["warned"] == 1 and warm["warned"] == 1
    assert cold["hits"] == 0 and warm["hits"] == 1  # the second process loads the first one's machine code
    assert cold["cost"] == warm["cost"]
    assert files_under(site) == before
    assert any(name.endswith(".nbi") for name in files_under(temporary))


def test_a_changed_kernels_module_changes_every_kernels_stamp(tmp_path):
    """numba stamps a cached function with its own file; fastnn's stamp digests every kernels
    module, so changing a callee's file (rows.py) invalidates its callers' (train.py) caches."""
    site = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "fastnn"), site / "fastnn", ignore=shutil.ignore_patterns("__pycache__"))
    code = "from fastnn.kernels import cache; print(cache.SOURCE_DIGEST)"
    env = dict(os.environ, PYTHONPATH=str(site))
    before = run_python(code, env, cwd=tmp_path)
    with open(site / "fastnn" / "kernels" / "rows.py", "a") as rows:
        rows.write("\n# changed\n")
    assert run_python(code, env, cwd=tmp_path) != before


def test_the_lazily_compiled_parallel_twin_takes_over_and_gives_the_same_bits():
    """The serial twin trains while the parallel one compiles in the background; once it joins,
    the run continues on it (and on the serial one, as FasterTwin alternates), with the bits of a
    run on the serial twin alone."""
    code = """
        import time
        import numba, numpy as np
        import fastnn
        from fastnn import training, twins
        from fastnn.kernels.train import gradient_descent, gradient_descent_parallel
        twins.LOAD_AFTER = twins.PARALLEL_AFTER = twins.MIN_REGION_SECONDS = twins.MIN_TRIAL_SECONDS = 0.0
        X, Y = fastnn.datasets.moons(2000, 0.25, seed=0)
        net, data, workspace = training.full_batch(X, Y.astype(float), (2, 6, 1), 2, 0.0, 0, np.dtype(np.float64))
        start = np.random.RandomState(0).randn(25) * 0.5
        theta, costs = start.copy(), np.empty(100_000)
        run = twins.FasterTwin(gradient_descent, gradient_descent_parallel, workspace, units=lambda args: 5)
        done = 0
        while run.parallel_calls < 3:
            run(theta, net, data, 0.5, costs[done:done + 5], workspace)
            done += 5
            time.sleep(0.01 if run.parallel_calls == 0 else 0)
        serial, serial_costs = start.copy(), np.empty(done)
        gradient_descent(serial, net, data, 0.5, serial_costs, workspace)
        assert np.array_equal(theta, serial) and np.array_equal(costs[:done], serial_costs), "bits differ"
        print(done)
    """
    assert int(run_python(code, dict(os.environ, NUMBA_NUM_THREADS="2"))) > 5


def test_a_parallel_twin_in_the_cache_is_loaded_never_compiled(tmp_path):
    """A process whose numba cache holds the parallel twin loads it (in the background, once the
    serial twin has trained LOAD_AFTER seconds) and trains on it with the serial twin's bits, though
    its compilation would never be due (PARALLEL_AFTER infinite)."""
    code = """
        import sys, time
        import numpy as np
        import fastnn
        from fastnn import training, twins
        from fastnn.kernels.train import gradient_descent, gradient_descent_parallel
        twins.LOAD_AFTER, twins.MIN_REGION_SECONDS, twins.PARALLEL_AFTER = 0.0, 0.0, float("inf")
        twins.MIN_TRIAL_SECONDS = 0.0
        X, Y = fastnn.datasets.moons(4096, 0.25, seed=0)
        net, data, workspace = training.full_batch(X, Y.astype(float), (2, 6, 1), 2, 0.0, 0, np.dtype(np.float64))
        start = np.random.RandomState(0).randn(25) * 0.5
        theta, costs = start.copy(), np.empty(200)
        if sys.argv[1] == "fill":  # both twins into the cache
            gradient_descent(theta.copy(), net, data, 0.5, costs[:1], workspace)
            gradient_descent_parallel(theta.copy(), net, data, 0.5, costs[:1], workspace)
        else:
            run = twins.FasterTwin(gradient_descent, gradient_descent_parallel, workspace, units=lambda args: 5)
            for done in range(0, len(costs), 5):
                run(theta, net, data, 0.5, costs[done:done + 5], workspace)
                if run.parallel is not None:
                    run.parallel.join()  # loaded, or found missing
            serial, serial_costs = start.copy(), np.empty(len(costs))
            gradient_descent(serial, net, data, 0.5, serial_costs, workspace)
            assert np.array_equal(theta, serial) and np.array_equal(costs, serial_costs), "bits differ"
            print(run.parallel.on_disk, run.parallel_calls)
    """
    env = dict(os.environ, NUMBA_NUM_THREADS="2", NUMBA_CACHE_DIR=str(tmp_path))
    for step in ("fill", "use"):
        out = run_python(code.replace("sys.argv[1]", repr(step)), env)
    on_disk, parallel_calls = out.split()
    assert on_disk == "True" and int(parallel_calls) > 0


def test_threads_under_the_workqueue_layer_do_not_abort_the_process():
    """numba's workqueue layer aborts the process when two threads enter parallel regions at
    once; four threads each running fastnn.fit and MLPClassifier.fit with the parallel twins
    compiled must finish, with the bits of a single thread."""
    code = """
        import threading, warnings
        import numba, numpy as np
        import fastnn
        from fastnn import MLPClassifier, twins
        from fastnn.kernels.train import gradient_descent_parallel, minibatch_epoch_parallel
        twins.LOAD_AFTER = twins.PARALLEL_AFTER = twins.MIN_REGION_SECONDS = twins.MIN_TRIAL_SECONDS = 0.0
        X, Y = fastnn.datasets.moons(2048, 0.25, seed=0)

        def fit_both():
            params, _ = fastnn.fit(X, Y, 0.6, 5, 300, seed=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = MLPClassifier(hidden_layer_sizes=(5,), batch_size=2048, max_iter=20, random_state=0)
                model.fit(X.T, Y.ravel().astype(int))
            return params["W1"], model.coefs_[0]

        fit_both()
        for twin in list(twins.ParallelTwin._instances.values()):
            twin.join()  # loaded, or found missing
            twin.due()  # then compiled
            twin.join()
        assert gradient_descent_parallel.signatures and minibatch_epoch_parallel.signatures
        expected = fit_both()
        results, errors = [], []

        def guarded():
            try:
                results.append(fit_both())
            except BaseException as error:
                errors.append(repr(error))

        threads = [threading.Thread(target=guarded) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert all(np.array_equal(a, b) for result in results for a, b in zip(result, expected))
        print(numba.threading_layer())
    """
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", NUMBA_NUM_THREADS="2")
    assert run_python(code, env).split() == ["workqueue"]


def test_a_kernel_called_from_another_compiles_for_linking_only(tmp_path):
    """A callee that the cache does not hold is compiled for its callers only (no machine code of
    its own, no cache entry); the caller is cached whole, and a Python call of the callee itself
    compiles it as usual, with the same results."""
    code = """
        import numpy as np
        from fastnn.kernels import losses, vmath
        Z = np.linspace(-30.0, 30.0, 101).reshape(1, -1).copy()
        expected = 1.0 / (1.0 + np.exp(-Z[0]))
        losses.output_activation(losses.LOGISTIC, Z, 0, 1, Z.shape[1])
        assert np.allclose(Z[0], expected, rtol=1e-15, atol=0)
        assert len(vmath.sigmoid.overloads) == 0 and len(vmath.sigmoid._linkable) == 1
        assert len(losses.output_activation.overloads) == 1
        assert np.array_equal([vmath.sigmoid(z) for z in np.linspace(-30.0, 30.0, 101)], Z[0])
        assert len(vmath.sigmoid.overloads) == 1  # compiled for the Python call
    """
    run_python(code, dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path)))
    indexes = [name for name in files_under(tmp_path) if name.endswith(".nbi")]
    assert any("output_activation" in name for name in indexes), indexes
    assert any("sigmoid" in name for name in indexes)  # the Python call's
    assert not any("exp_parts" in name for name in indexes)  # only ever a callee


def test_the_garbage_collector_pauses_while_a_kernel_compiles_and_is_left_as_it_was(tmp_path):
    code = """
        import gc
        import numba.core.event as event
        from fastnn.kernels import vmath
        seen = []
        class Listener(event.Listener):
            def on_start(self, e):
                seen.append(gc.isenabled())
            def on_end(self, e):
                pass
        event.register("numba:compile", Listener())
        vmath.exp(1.0)
        assert seen and not any(seen) and gc.isenabled()
        gc.disable()
        vmath.tanh(1.0)
        assert not gc.isenabled()
    """
    run_python(code, dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path)))
