"""fastnn: small dense neural networks trained on the CPU by fused, vectorised Numba kernels.

The seeds' API: ``fit``, ``predict_proba``, ``predict``, ``accuracy`` (``fastnn.functional``) and
its NumPy oracle ``fastnn.reference``; built-in data in ``fastnn.datasets``; scikit-learn's
``MLPClassifier`` and ``MLPRegressor`` (``fastnn.estimators``, imported on first use so that
``import fastnn`` does not import scikit-learn).
"""
from . import datasets, reference
from .errors import DivergenceError
from .functional import accuracy, cost_and_gradients, fit, predict, predict_proba

__all__ = ["fit", "predict", "predict_proba", "accuracy", "cost_and_gradients", "datasets", "reference", "DivergenceError",
           "MLPClassifier", "MLPRegressor"]
__version__ = "0.1.0"

_LAZY = {"MLPClassifier", "MLPRegressor"}


def __getattr__(name):
    """``fastnn.MLPClassifier`` and ``fastnn.MLPRegressor`` import scikit-learn on first access (PEP 562)."""
    if name in _LAZY:
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
