"""BLAS from compiled code (``fastnn.kernels.blas``, issue 9): ``gemm`` against NumPy for every
transpose, offset and ``beta``; the wide-layer rule; BLAS held to one thread while kernels run."""
import numpy as np
import pytest
import threadpoolctl

from fastnn.kernels.blas import gemm
from fastnn.kernels.products import uses_blas, wide_layers
from fastnn.training import one_blas_thread


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_gemm_matches_numpy_on_offset_strided_blocks(dtype, trans_a, trans_b, beta):
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 9
    A = rng.standard_normal((12, 13)).astype(dtype)  # op(A) is a block of A at (2, 1), or its transpose
    B = rng.standard_normal((13, 14)).astype(dtype)
    C = rng.standard_normal((8, 10)).astype(dtype)
    a = A[2:2 + k, 1:1 + m].T if trans_a else A[2:2 + m, 1:1 + k]
    b = B[3:3 + n, 2:2 + k].T if trans_b else B[3:3 + k, 2:2 + n]
    expected = C.copy()
    expected[1:1 + m, 3:3 + n] = a.astype(np.float64) @ b + beta * C[1:1 + m, 3:3 + n]
    gemm(trans_a, trans_b, m, n, k, A, 2 * 13 + 1, 13, B, 3 * 14 + 2, 14, beta, C, 1 * 10 + 3, 10)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(C, expected, rtol=0, atol=tolerance)
    untouched = np.ones(C.shape, bool)
    untouched[1:1 + m, 3:3 + n] = False
    assert np.array_equal(C[untouched], expected[untouched])  # nothing written outside the block


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_only_wide_layers_use_blas(dtype):
    assert wide_layers((784, 100, 10), dtype) == [True, dtype == np.float64]
    assert wide_layers((2, 50, 1), dtype) == [False, False]  # the seeds' networks stay on the row kernels
    assert wide_layers((20, 7, 8), dtype) == [False, False]
    assert not uses_blas((2, 5, 1), dtype) and uses_blas((20, 512, 1), dtype)


def test_small_float32_layers_stay_on_the_row_kernels():
    """In float32, a wide layer of up to 64 x 64 weights runs on the row kernels (BLAS's fixed
    costs outweigh its tile there); in float64 on BLAS."""
    assert wide_layers((2, 64, 64, 65, 1), np.float32) == [False, False, True, False]
    assert wide_layers((2, 64, 64, 65, 1), np.float64) == [False, True, True, False]


def test_blas_runs_on_one_thread_inside_and_gets_its_threads_back():
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
        with one_blas_thread:
            with one_blas_thread:  # nested (fits in several threads) share one limit
                inside = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
            still = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
        after = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    assert inside and set(inside) == {1} and set(still) == {1}
    assert after == before
