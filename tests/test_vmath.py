"""The vectorisable transcendentals against NumPy, in float64 and float32, edge values included."""
import numpy as np
import pytest

from fastnn.kernels import vmath
from fastnn.kernels.options import kernel

@kernel()
def softplus_of_abs(x):
    """``log1p(exp(-|x|))`` by ``vmath.logistic_softplus`` (its two sigmoids are tested as ``sigmoid``'s)."""
    return vmath.logistic_softplus(abs(x))[2]


FUNCTIONS = {
    "exp": (vmath.exp, np.exp, lambda rng: rng.uniform(-700, 700, 20000)),
    "tanh": (vmath.tanh, np.tanh, lambda rng: np.concatenate([rng.randn(20000) * 4, rng.randn(2000) * 1e-6])),
    "sigmoid": (vmath.sigmoid, lambda x: np.where(x >= 0, 1 / (1 + np.exp(-abs(x))), np.exp(-abs(x)) / (1 + np.exp(-abs(x)))),
                lambda rng: rng.randn(20000) * 10),
    "log": (vmath.log, np.log, lambda rng: np.exp(rng.uniform(-80, 80, 20000))),
    "softplus": (softplus_of_abs, lambda x: np.log1p(np.exp(-np.abs(x).astype(np.longdouble))),  # float64's: 1.5 ulp off
                 lambda rng: np.concatenate([rng.randn(20000) * 10, rng.uniform(-1, 1, 2000), [0.0, 0.3466, 0.8813]])),
    "arctan": (vmath.arctan, np.arctan, lambda rng: np.concatenate([rng.randn(20000) * 5, rng.randn(100) * 1e8])),
}
# Largest error allowed, in units in the last place of the exact result (float32: of the float32 result).
MAX_ULP = {"exp": 3, "tanh": 6, "sigmoid": 4, "log": 2, "softplus": 3, "arctan": 2}


def elementwise(function):
    @kernel()
    def apply(x, out):
        for i in range(x.shape[0]):
            out[i] = function(x[i])
    return apply


APPLY = {name: elementwise(f) for name, (f, _, _) in FUNCTIONS.items()}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_accuracy_in_ulp(name, dtype):
    _, exact, draw = FUNCTIONS[name]
    x = draw(np.random.RandomState(0)).astype(dtype)
    if dtype == np.float32 and name == "exp":
        x = np.clip(x, -80, 80)
    out = np.empty_like(x)
    APPLY[name](x, out)
    expected = exact(x.astype(np.float64))
    ulp = np.spacing(np.abs(expected).astype(dtype)).astype(np.float64)
    assert np.max(np.abs(out - expected) / ulp) <= MAX_ULP[name]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_nan_passes_through(name, dtype):
    out = np.zeros(2, dtype)
    APPLY[name](np.array([np.nan, 1.0], dtype), out)
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_saturation_and_limits():
    out = np.empty(4)
    APPLY["tanh"](np.array([1e300, -1e300, 30.0, -0.0]), out)
    assert out.tolist() == [1.0, -1.0, 1.0, 0.0]
    APPLY["sigmoid"](np.array([1e300, -1e300, 800.0, 0.0]), out)
    assert out[0] == 1.0 and 0 <= out[1] < 1e-300 and out[2] == 1.0 and out[3] == 0.5
    APPLY["arctan"](np.array([np.inf, -np.inf, 0.0, 1.0]), out)
    np.testing.assert_allclose(out, [np.pi / 2, -np.pi / 2, 0.0, np.pi / 4], rtol=1e-16)
    APPLY["log"](np.array([np.inf, 1.0, 2.0, 0.5]), out)
    assert out[0] == np.inf and out[1] == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_of_subnormals_and_zero(dtype):
    """The Poisson loss takes log(y / a), which can be subnormal (float32 most easily)."""
    tiny = np.finfo(dtype).tiny
    exponents = np.random.RandomState(1).uniform(-np.finfo(dtype).nmant, 0, 2000)  # the subnormal range
    x = np.concatenate([tiny * 2.0 ** exponents, [tiny, np.nextafter(tiny, 0), np.nextafter(dtype(0), dtype(1))]])
    x = x.astype(dtype)
    assert np.all(x > 0) and np.any(x < tiny)
    out = np.empty_like(x)
    APPLY["log"](x, out)
    expected = np.log(x.astype(np.float64))
    assert np.max(np.abs(out - expected) / np.spacing(np.abs(expected).astype(dtype))) <= MAX_ULP["log"]
    APPLY["log"](np.zeros(1, dtype), out[:1])
    assert out[0] == -np.inf
