"""The first layer's product for sample-major inputs, as tiles of dot products.

A prediction gets its input as scikit-learn passes it, one row per sample. Transposing it to
the kernels' feature-major layout costs about as much as the whole forward pass of a wide
network (20,000 x 784 float64: 0.13 s for the copy, against 3.2 GFLOP of products), so the first
layer reads the rows in place: ``z[j, s] = b_j + W[j, :] . x_s``, where both W's rows and the
samples' rows are contiguous. That is the form of ``rows.add_row_dots`` (``dW += delta a^T``):
a 4 x 4 tile of dot products keeps sixteen accumulators in registers and is bound by FMAs.

The same tiles for the training products (transposing a block's inputs or deltas into scratch
rows first) were measured and dropped: on this machine the transposes cost as much as the tiles
save (README, Performance).
"""
from .options import EXACT, kernel
from .rows import add_row_dots


@kernel(EXACT)
def forward_dots(theta, w_off, n_in, n_out, XT, xt_row, A, row, n):
    """``A[row + j, s] = b_j + W[j, :] . XT[xt_row + s, :]`` for j < n_out, s < n: ``W`` (n_out x
    n_in at ``theta[w_off]``, then ``b``) times sample-major inputs, in 4 x 4 tiles of dots."""
    W = theta[w_off:w_off + n_out * n_in].reshape((n_out, n_in))
    bias = w_off + n_out * n_in
    for j in range(n_out):
        A[row + j, :n] = theta[bias + j]
    block = A.shape[1]
    add_row_dots(W, 0, n_out, XT, xt_row, 0, n, A.reshape(A.size), row * block, block, n_in)
