"""fastnn: small dense neural networks trained on the CPU by fused, vectorised Numba kernels.

The seeds' API: ``fit``, ``predict_proba``, ``predict``, ``accuracy`` (``fastnn.functional``) and
its NumPy oracle ``fastnn.reference``; built-in data in ``fastnn.datasets``; hyper-parameter
sweeps ``sweep`` and ``select`` (seed 004's experiment); ``save`` and ``load`` for trained
parameters; figures in ``fastnn.plot`` (imported on first use: it needs matplotlib).
"""
import importlib

from . import datasets, reference
from .errors import DivergenceError
from .functional import accuracy, cost_and_gradients, fit, predict, predict_proba
from .io import load, save
from .sweep import select, sweep

__all__ = ["fit", "predict", "predict_proba", "accuracy", "cost_and_gradients", "datasets", "reference",
           "DivergenceError", "sweep", "select", "save", "load", "plot"]
__version__ = "0.1.0"


def __getattr__(name):
    """``fastnn.plot`` on first use, so that ``import fastnn`` never imports matplotlib."""
    if name == "plot":
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
