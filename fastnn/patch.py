"""Make scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` fastnn's, in place.

``patch_sklearn()`` replaces the two names in ``sklearn.neural_network`` and in its private module
``sklearn.neural_network._multilayer_perceptron`` (which some code imports from), so that every
import made afterwards gets fastnn's classes; ``unpatch_sklearn()`` puts scikit-learn's back.
``python -m fastnn.patch SCRIPT [ARGS...]`` runs an unchanged script with the patch applied.

Not patched: names bound before the patch (``from sklearn.neural_network import MLPClassifier``
executed earlier keeps scikit-learn's class), instances created before it, ``BernoulliRBM``, and
scikit-learn's private helpers (``_stochastic_optimizers``, ``_base``), which fastnn does not use.
"""
import importlib
import os
import runpy
import sys

from .sklearn_originals import MODULES, NAMES, originals, sklearn_is_patched

__all__ = ["patch_sklearn", "unpatch_sklearn", "sklearn_is_patched", "main"]


def patch_sklearn():
    """Bind ``MLPClassifier`` and ``MLPRegressor`` of ``sklearn.neural_network`` (and of its
    ``_multilayer_perceptron`` module) to fastnn's estimators. Calling it twice is harmless."""
    from . import estimators

    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in NAMES:
            originals.setdefault((module_name, name), getattr(module, name))
            setattr(module, name, getattr(estimators, name))


def unpatch_sklearn():
    """Restore scikit-learn's own classes (nothing happens when not patched)."""
    for (module_name, name), original in originals.items():
        setattr(sys.modules[module_name], name, original)
    originals.clear()


def main(argv=None):
    """``python -m fastnn.patch SCRIPT [ARGS...]``: run SCRIPT as ``__main__`` with the patch
    applied, ``sys.argv`` as if it were run directly; returns its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m fastnn.patch SCRIPT [ARGS...]\n\nRun SCRIPT with scikit-learn's MLPClassifier "
              "and MLPRegressor replaced by fastnn's.", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    saved_argv, saved_path0 = sys.argv, sys.path[0]
    sys.argv = argv
    sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python SCRIPT` puts it first
    patch_sklearn()
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as stop:
        return _exit_code(stop.code)
    finally:
        unpatch_sklearn()
        sys.argv, sys.path[0] = saved_argv, saved_path0
    return 0


def _exit_code(code):
    """``sys.exit(code)``'s exit status: None is 0, an integer itself, anything else is printed
    to stderr and gives 1 (what the interpreter does)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":  # run the module's own copy, so the script's fastnn.unpatch_sklearn() sees the patch
    from fastnn.patch import main as _main

    sys.exit(_main())
