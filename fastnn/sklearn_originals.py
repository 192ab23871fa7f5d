"""scikit-learn's own ``MLPClassifier`` and ``MLPRegressor``, recorded while ``fastnn.patch`` is on.

A leaf module (it imports no other fastnn module), so that ``fastnn.patch``, which imports the
estimators, and the estimators' conversion, which needs scikit-learn's classes, both read it
without importing each other.
"""
import importlib

#: The names ``fastnn.patch`` replaces, and the modules it replaces them in.
NAMES = ("MLPClassifier", "MLPRegressor")
MODULES = ("sklearn.neural_network", "sklearn.neural_network._multilayer_perceptron")

#: (module name, class name) -> scikit-learn's class, while patched.
originals = {}


def sklearn_is_patched():
    """True between ``patch_sklearn()`` and ``unpatch_sklearn()``."""
    return bool(originals)


def original(name):
    """scikit-learn's own ``MLPClassifier`` or ``MLPRegressor``, patched or not."""
    module_name = MODULES[1]
    if (module_name, name) in originals:
        return originals[module_name, name]
    return getattr(importlib.import_module(module_name), name)
