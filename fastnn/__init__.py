"""fastnn: small dense neural networks trained on the CPU by fused, vectorised Numba kernels.

The seeds' API: ``fit``, ``predict_proba``, ``predict``, ``accuracy`` (``fastnn.functional``) and
its NumPy oracle ``fastnn.reference``; built-in data in ``fastnn.datasets``; hyper-parameter
sweeps ``sweep`` and ``select`` (seed 004's experiment); ``save`` and ``load`` for trained
parameters; scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` (``fastnn.estimators``) and
figures in ``fastnn.plot``, both imported on first use so that ``import fastnn`` imports neither
scikit-learn nor matplotlib. ``patch_sklearn`` and ``unpatch_sklearn`` (``fastnn.patch``) put
fastnn's estimators in ``sklearn.neural_network``; ``import fastnn.onnx`` registers them with
skl2onnx (never imported by ``import fastnn``).
"""
import importlib

from . import datasets, reference
from .errors import DivergenceError
from .functional import accuracy, cost_and_gradients, fit, predict, predict_proba
from .io import load, save
from .patch import patch_sklearn, unpatch_sklearn
from .sweep import select, sweep

__all__ = ["fit", "predict", "predict_proba", "accuracy", "cost_and_gradients", "datasets", "reference", "DivergenceError",
           "MLPClassifier", "MLPRegressor", "sweep", "select", "save", "load", "plot", "patch_sklearn",
           "unpatch_sklearn"]
__version__ = "0.1.0"

_LAZY = {"MLPClassifier", "MLPRegressor", "plot"}


def __getattr__(name):
    """``fastnn.MLPClassifier``, ``fastnn.MLPRegressor`` and ``fastnn.plot`` on first access (PEP 562)."""
    if name == "plot":
        return importlib.import_module(".plot", __name__)
    if name in _LAZY:
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
