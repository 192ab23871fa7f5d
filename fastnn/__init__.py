"""fastnn: small dense neural networks trained on the CPU by fused, vectorised Numba kernels.

The seeds' API: ``fit``, ``predict_proba``, ``predict``, ``accuracy`` (``fastnn.functional``) and
its NumPy oracle ``fastnn.reference``; built-in data in ``fastnn.datasets``.
"""
from . import datasets, reference
from .errors import DivergenceError
from .functional import accuracy, cost_and_gradients, fit, predict, predict_proba

__all__ = ["fit", "predict", "predict_proba", "accuracy", "cost_and_gradients", "datasets", "reference", "DivergenceError"]
__version__ = "0.1.0"
