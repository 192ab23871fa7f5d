"""scripts/compare.py: its arithmetic of the limit, and that a missing or failing competitor is
reported instead of stopping the script."""
import importlib.util
import sys

import numpy as np
import pytest

from fastnn import reference
from fastnn.layout import Layout

from .conftest import load_script


@pytest.fixture(scope="module")
def compare():
    return load_script("compare")


@pytest.mark.parametrize("hidden", [(), (5,), (6, 4)], ids=str)
def test_work_counts_the_matrix_products_the_reference_does(compare, hidden, monkeypatch):
    case = compare.Case(37, hidden)
    problem = compare.Problem.make(case)
    products = []
    dot = np.dot

    def counting_dot(a, b):
        products.append(2 * a.shape[0] * a.shape[1] * b.shape[1])
        return dot(a, b)

    monkeypatch.setattr(np, "dot", counting_dot)
    _, cache = reference.forward(problem.X, problem.start, "tanh")
    reference.backward(problem.X, problem.Y, problem.start, cache, "tanh")
    monkeypatch.undo()
    flops, transcendentals = compare.work(case)
    units = sum(hidden)
    elementwise = 5 * 37 * units + 10 * 37 + 2 * Layout(case.sizes).n_params
    assert flops == sum(products) + elementwise
    assert transcendentals == 37 * (units + 2)  # tanh per hidden unit, exp and log1p at the output


def test_limit_is_work_at_the_peaks_over_the_cores(compare):
    case = compare.Case(100, (5,))  # one block of samples: one core
    flops, transcendentals = compare.work(case)
    assert compare.cores_used(case) == 1
    assert compare.limit_us(case, (1e9, 1e8)) == pytest.approx((flops / 1e9 + transcendentals / 1e8) * 1e6)


def test_missing_competitors_are_skipped_and_the_rest_runs(compare, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    monkeypatch.setitem(sys.modules, "jax", None)
    compare.peers._jax_train.cache_clear()
    png, markdown = tmp_path / "compare.png", tmp_path / "compare.md"
    compare.main(["--cases", "300:3", "--repeats", "1", "--seconds", "0.01", "--no-startup", "--only",
                  "reference,torch,jax", "--plot", str(png), "--markdown", str(markdown)])
    out = capsys.readouterr().out
    assert "torch 1t: skipped (torch is not installed" in out
    assert "jax: skipped (jax is not installed" in out
    header = next(line for line in out.splitlines() if line.startswith("case "))
    assert "reference us (x fastnn)" in header and "torch" not in header and "sklearn" not in header
    assert "float64: final costs agree with fastnn's to" in out
    assert "| N=300    hidden=3 | f64 |" in markdown.read_text()
    if importlib.util.find_spec("matplotlib"):
        assert png.stat().st_size > 10_000
    else:
        assert "plot: skipped (matplotlib not installed" in out


def test_a_failing_competitor_is_reported_not_fatal(compare):
    broken = compare.Competitor("broken", "no_such_peer")
    problem = compare.Problem.make(compare.Case(300, (3,)))
    results = compare.measure(problem, np.float64, [compare.COMPETITORS[0], broken], iterations=3, repeats=1)
    assert results["broken"]["error"].startswith("AttributeError")
    assert results["fastnn"]["us"] > 0 and np.isfinite(results["fastnn"]["cost"])
    row = dict(case=problem.case, dtype=np.float64, iterations=3, results=results, limit=1.0)
    assert "failed" in compare.time_table([row], ["fastnn", "broken"])
