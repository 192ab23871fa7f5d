"""fastnn.patch: scikit-learn's MLP names bound to fastnn's classes and back, and the script runner
(the same script, run patched and unpatched, prints the same predictions)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sklearn.neural_network
import sklearn.neural_network._multilayer_perceptron as private

import fastnn
from fastnn.estimators import MLPClassifier, MLPRegressor

SKLEARN = {"MLPClassifier": sklearn.neural_network.MLPClassifier, "MLPRegressor": sklearn.neural_network.MLPRegressor}
FASTNN = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}


@pytest.fixture
def patched():
    fastnn.patch_sklearn()
    yield
    fastnn.unpatch_sklearn()


def test_patch_binds_every_way_of_importing(patched):
    from sklearn.neural_network import MLPClassifier as imported
    from sklearn.neural_network._multilayer_perceptron import MLPRegressor as imported_private

    assert imported is MLPClassifier and imported_private is MLPRegressor
    for name, cls in FASTNN.items():
        assert getattr(sklearn.neural_network, name) is cls
        assert getattr(private, name) is cls
    assert sklearn.neural_network.BernoulliRBM.__module__.startswith("sklearn.")
    assert fastnn.patch.sklearn_is_patched()


def test_unpatch_restores_the_originals_exactly():
    fastnn.patch_sklearn()
    fastnn.patch_sklearn()  # twice: the originals are kept, not fastnn's
    fastnn.unpatch_sklearn()
    for name, cls in SKLEARN.items():
        assert getattr(sklearn.neural_network, name) is cls
        assert getattr(private, name) is cls
        assert cls.__module__ == "sklearn.neural_network._multilayer_perceptron"
    assert not fastnn.patch.sklearn_is_patched()
    fastnn.unpatch_sklearn()  # not patched: nothing happens
    assert sklearn.neural_network.MLPClassifier is SKLEARN["MLPClassifier"]


SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    print("argv", sys.argv[1:], sys.argv[0].endswith("script.py"))
    print("module", MLPClassifier.__module__, MLPRegressor.__module__)
    X, y = make_classification(200, 6, n_informative=4, n_classes=3, random_state=0)
    clf = MLPClassifier((8,), max_iter=30, learning_rate_init=0.01, random_state=0).fit(X, y)
    print("classes", " ".join(map(str, clf.predict(X))))
    X, y = make_regression(150, 4, noise=0.5, random_state=1)
    reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=20, learning_rate_init=0.01, random_state=0)
    reg.fit(X, y / 100)
    print("values", " ".join("%.6f" % v for v in reg.predict(X)))
    import fastnn.patch
    print("patched", fastnn.patch.sklearn_is_patched())  # the runner's patch is the one fastnn sees
    sys.exit(int(sys.argv[2]))
""")


def run(tmp_path, *prefix):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))  # this checkout's fastnn
    env = dict(os.environ, PYTHONPATH=root, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, *prefix, str(script), "first", "3"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)


def test_script_runs_patched_with_the_same_output(tmp_path):
    plain, patched = run(tmp_path), run(tmp_path, "-m", "fastnn.patch")
    assert plain.returncode == patched.returncode == 3, patched.stderr
    plain_lines, patched_lines = plain.stdout.splitlines(), patched.stdout.splitlines()
    assert plain_lines[0] == patched_lines[0] == "argv ['first', '3'] True"
    sklearn_module = "sklearn.neural_network._multilayer_perceptron"
    assert plain_lines[1] == f"module {sklearn_module} {sklearn_module}"
    assert patched_lines[1] == "module fastnn.estimators.mlp fastnn.estimators.mlp"  # fastnn's class ran
    assert plain_lines[2] == patched_lines[2]  # the same predicted classes
    plain_values = np.array(plain_lines[3].split()[1:], float)
    patched_values = np.array(patched_lines[3].split()[1:], float)
    # printed to 6 decimals from values equal to ~1e-9 relative: at most one unit in the last place
    np.testing.assert_allclose(patched_values, plain_values, rtol=0, atol=1.5e-6)
    assert (plain_lines[4], patched_lines[4]) == ("patched False", "patched True")


def test_runner_passes_exit_codes_on(tmp_path):
    from fastnn.patch import main

    script = tmp_path / "exits.py"
    script.write_text("import sys\nimport sklearn.neural_network as nn\nprint(nn.MLPClassifier.__module__)\n"
                      "sys.exit(sys.argv[1] if sys.argv[1] != 'none' else None)\n")
    assert main([str(script), "none"]) == 0
    assert main([str(script), "message"]) == 1
    assert sklearn.neural_network.MLPClassifier is SKLEARN["MLPClassifier"]  # unpatched after the run
    assert main([]) == 2
