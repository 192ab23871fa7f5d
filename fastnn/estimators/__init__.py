"""scikit-learn-compatible estimators over fastnn's kernels: ``MLPClassifier``, ``MLPRegressor``."""
from .mlp import EstimatorDivergenceError, MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "EstimatorDivergenceError"]
