"""A layer's matrix products: ``z = W a + b`` (forward), ``dW += delta a^T`` and ``W^T delta``
(backward), by BLAS for wide layers and by the row kernels for narrow ones.

Layers with at least ``WIDE`` units on both sides (:func:`wide`) run their products through
``blas.gemm`` on one thread per block: 1.3-4x the row kernels' speed from 16 x 16 up (on an
AVX-512 EPYC-class core, README), because BLAS packs its operands and keeps a tile of
accumulators in registers. Narrower layers (the seeds' 2 -> 5 -> 1) stay on the row kernels,
where a BLAS call's fixed cost would dominate, and so do float32 layers of up to 64 x 64
weights (``SMALL_FLOAT32``). The rule depends on the shapes and the dtype only, so a network always
runs the same arithmetic.

A prediction gets its input as scikit-learn passes it, one row per sample. Transposing it to
the kernels' feature-major layout costs about as much as the whole forward pass of a wide network,
so the first layer reads the rows in place, by BLAS (which takes them transposed) whatever its
width.
"""
import numpy as np

from .blas import gemm
from .options import EXACT, kernel
from .rows import weighted_row_sums

#: Fewest units on both sides of a layer for which its products run in BLAS.
WIDE = 8
#: Most weights of a float32 layer that stays on the row kernels even when wide: BLAS's packing
#: and fixed costs outweigh its tile on such small products (2 -> (64, 64) -> 1, tanh, N=20,000,
#: full batch, on the 2-vCPU Zen 5: an iteration 3.44 -> 2.23 ms with AVX2 code, 3.10 -> 2.55 ms
#: with AVX-512; float64 within 5 %, so it stays on BLAS).
SMALL_FLOAT32 = 64 * 64


@kernel(EXACT)
def wide(n_in, n_out, itemsize):
    """Whether a layer of ``n_in`` -> ``n_out`` units, of floats of ``itemsize`` bytes, runs its
    products in BLAS."""
    return n_in >= WIDE and n_out >= WIDE and (itemsize > 4 or n_in * n_out > SMALL_FLOAT32)


def wide_layers(sizes, dtype):
    """``wide`` for each layer of a network of layer ``sizes`` in ``dtype``, from Python."""
    rule = getattr(wide, "py_func", wide)
    itemsize = np.dtype(dtype).itemsize
    return [rule(n_in, n_out, itemsize) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def uses_blas(sizes, dtype):
    """Whether a network of layer ``sizes`` in ``dtype`` has a wide layer, whose products call BLAS."""
    return any(wide_layers(sizes, dtype))


@kernel(EXACT)
def forward_product(theta, w_off, n_in, n_out, X, x_off, ldx, x_rows, A, row, n):
    """``A[row + j, :n] = b_j + W[j, :] . x_s`` for j < n_out and the block's samples s, by BLAS.

    ``W`` is n_out x n_in at ``theta[w_off]``, then ``b``. The inputs start at element ``x_off``
    of ``X``: feature-major (n_in rows ``ldx`` apart, a sample per column) or, if ``x_rows``,
    sample-major (n rows ``ldx`` apart, a feature per column).
    """
    bias = w_off + n_out * n_in
    for j in range(n_out):
        for s in range(n):
            A[row + j, s] = theta[bias + j]
    gemm(False, x_rows, n_out, n, n_in, theta, w_off, n_in, X, x_off, ldx, 1.0, A, row * A.shape[1], A.shape[1])


@kernel(EXACT)
def weight_gradient(D, d_row, n_out, X, x_off, ldx, x_rows, n_in, grad, w_off, n):
    """``dW += delta a^T`` by BLAS: ``grad[w_off:]`` (n_out x n_in) += D's rows ``d_row ..`` (the
    block's deltas) times the inputs, at element ``x_off`` of X, rows ``ldx`` apart: feature-major,
    or sample-major if ``x_rows``."""
    block = D.shape[1]
    gemm(False, not x_rows, n_out, n_in, n, D, d_row * block, block, X, x_off, ldx, 1.0, grad, w_off, n_in)


@kernel(EXACT)
def input_deltas(theta, w_off, n_in, n_out, D, row, prev, T, n):
    """``D[prev + k, :n] *= (W^T delta)_k`` for k < n_in, delta being D's rows ``row ..``: turns
    f'(z) of layer l - 1 into its deltas. Wide layers compute ``W^T delta`` into T by BLAS,
    narrow ones four rows at a time by the row kernels."""
    block = D.shape[1]
    if wide(n_in, n_out, theta.itemsize):
        gemm(True, False, n_in, n, n_out, theta, w_off, n_in, D, row * block, block, 0.0, T, 0, block)
        for k in range(n_in):
            for s in range(n):
                D[prev + k, s] *= T[k, s]
        return
    for k in range(0, n_in, 4):
        m = min(4, n_in - k)
        weighted_row_sums(theta, w_off + k, 1, n_in, -1, D, row, 0, n_out, T, 0, m, n)
        for i in range(m):
            for s in range(n):
                D[prev + k + i, s] *= T[i, s]
