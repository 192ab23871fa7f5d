"""scikit-learn-compatible estimators over fastnn's kernels: ``MLPClassifier``, ``MLPRegressor``."""
from .mlp import MLPClassifier, MLPRegressor
from .stopping import EstimatorDivergenceError

__all__ = ["MLPClassifier", "MLPRegressor", "EstimatorDivergenceError"]
