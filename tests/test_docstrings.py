"""The docstrings' examples run as written (``Examples`` sections, numpydoc's), and say what they show."""
import doctest
import importlib

import pytest

#: Modules with examples (``fastnn.sweep`` is also the function's name, hence by import path).
MODULES = ["fastnn.functional", "fastnn.sweep"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples to run"
    assert result.failed == 0
