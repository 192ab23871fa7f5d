"""Row operations, the vectorised building blocks of the forward and backward passes.

Activations are stored one row per unit, one column per sample, so a layer's products are
weighted sums of rows (forward ``z_i = b_i + sum_r W[i, r] a_r``, backward ``sum_j W[j, k] delta_j``)
and dot products of rows (``dW[j, k] += delta_j . a_k``). Every loop runs over the samples of a
block and vectorises.

Each pass handles a tile of the weight matrix: four output rows from four input rows, so that
every value loaded from cache feeds four multiply-adds (a one-row axpy is bound by loads and
stores, at half the speed). Output rows that do not fill a tile get one-row passes. The inputs
are taken four at a time; a tail of two or one input gets a narrower pass (the seeds' networks
have two inputs and one output, where four-wide tiles would waste half or three quarters of the
work), and a tail of three repeats its last row with a zero weight, which adds exactly zero.

Column offsets are unsigned before indexing: numba wraps negative signed indices, and the select
it adds for ``X[r, col + s]`` keeps the loop from vectorising (7x slower).
"""
import numpy as np

from .options import EXACT, REDUCE, kernel


@kernel(EXACT)
def _width(r, n_x):
    """Inputs covered by the pass starting at input r: 4, or 2 or 1 for a tail of that many."""
    left = n_x - r
    return 4 if left >= 3 else left


@kernel(EXACT)
def _input_rows(x_row, r, n_x):
    """Row indices of inputs r .. r+3 (counted from x_row), repeating the last input past the end."""
    last = n_x - 1
    return x_row + r, x_row + min(r + 1, last), x_row + min(r + 2, last), x_row + min(r + 3, last)


@kernel(EXACT)
def _weight(theta, w_off, i_stride, r_stride, i, r, n_x):
    """``theta[w_off + i * i_stride + r * r_stride]``, or 0 for an input row past the last (r >= n_x)."""
    return theta[w_off + i * i_stride + r * r_stride] if r < n_x else theta.dtype.type(0.0)


@kernel(EXACT)
def _four_rows(theta, w_off, i_stride, r_stride, bias, X, x_row, col, n_x, Y, y, n):
    """Rows y..y+3 of Y: ``bias[i] + sum_r W[i, r] X[x_row + r, col:col + n]``."""
    r = 0
    while r < n_x:
        width = _width(r, n_x)
        w00 = _weight(theta, w_off, i_stride, r_stride, 0, r, n_x)
        w01 = _weight(theta, w_off, i_stride, r_stride, 0, r + 1, n_x)
        w02 = _weight(theta, w_off, i_stride, r_stride, 0, r + 2, n_x)
        w03 = _weight(theta, w_off, i_stride, r_stride, 0, r + 3, n_x)
        w10 = _weight(theta, w_off, i_stride, r_stride, 1, r, n_x)
        w11 = _weight(theta, w_off, i_stride, r_stride, 1, r + 1, n_x)
        w12 = _weight(theta, w_off, i_stride, r_stride, 1, r + 2, n_x)
        w13 = _weight(theta, w_off, i_stride, r_stride, 1, r + 3, n_x)
        w20 = _weight(theta, w_off, i_stride, r_stride, 2, r, n_x)
        w21 = _weight(theta, w_off, i_stride, r_stride, 2, r + 1, n_x)
        w22 = _weight(theta, w_off, i_stride, r_stride, 2, r + 2, n_x)
        w23 = _weight(theta, w_off, i_stride, r_stride, 2, r + 3, n_x)
        w30 = _weight(theta, w_off, i_stride, r_stride, 3, r, n_x)
        w31 = _weight(theta, w_off, i_stride, r_stride, 3, r + 1, n_x)
        w32 = _weight(theta, w_off, i_stride, r_stride, 3, r + 2, n_x)
        w33 = _weight(theta, w_off, i_stride, r_stride, 3, r + 3, n_x)
        r0, r1, r2, r3 = _input_rows(x_row, r, n_x)
        b0, b1, b2, b3 = bias
        if width == 4:
            if r == 0:
                for s in range(n):
                    c = col + np.uint64(s)
                    a0, a1, a2, a3 = X[r0, c], X[r1, c], X[r2, c], X[r3, c]
                    Y[y, s] = b0 + w00 * a0 + w01 * a1 + w02 * a2 + w03 * a3
                    Y[y + 1, s] = b1 + w10 * a0 + w11 * a1 + w12 * a2 + w13 * a3
                    Y[y + 2, s] = b2 + w20 * a0 + w21 * a1 + w22 * a2 + w23 * a3
                    Y[y + 3, s] = b3 + w30 * a0 + w31 * a1 + w32 * a2 + w33 * a3
            else:
                for s in range(n):
                    c = col + np.uint64(s)
                    a0, a1, a2, a3 = X[r0, c], X[r1, c], X[r2, c], X[r3, c]
                    Y[y, s] += w00 * a0 + w01 * a1 + w02 * a2 + w03 * a3
                    Y[y + 1, s] += w10 * a0 + w11 * a1 + w12 * a2 + w13 * a3
                    Y[y + 2, s] += w20 * a0 + w21 * a1 + w22 * a2 + w23 * a3
                    Y[y + 3, s] += w30 * a0 + w31 * a1 + w32 * a2 + w33 * a3
        elif width == 2:
            if r == 0:
                for s in range(n):
                    c = col + np.uint64(s)
                    a0, a1 = X[r0, c], X[r1, c]
                    Y[y, s] = b0 + w00 * a0 + w01 * a1
                    Y[y + 1, s] = b1 + w10 * a0 + w11 * a1
                    Y[y + 2, s] = b2 + w20 * a0 + w21 * a1
                    Y[y + 3, s] = b3 + w30 * a0 + w31 * a1
            else:
                for s in range(n):
                    c = col + np.uint64(s)
                    a0, a1 = X[r0, c], X[r1, c]
                    Y[y, s] += w00 * a0 + w01 * a1
                    Y[y + 1, s] += w10 * a0 + w11 * a1
                    Y[y + 2, s] += w20 * a0 + w21 * a1
                    Y[y + 3, s] += w30 * a0 + w31 * a1
        elif r == 0:
            for s in range(n):
                a0 = X[r0, col + np.uint64(s)]
                Y[y, s] = b0 + w00 * a0
                Y[y + 1, s] = b1 + w10 * a0
                Y[y + 2, s] = b2 + w20 * a0
                Y[y + 3, s] = b3 + w30 * a0
        else:
            for s in range(n):
                a0 = X[r0, col + np.uint64(s)]
                Y[y, s] += w00 * a0
                Y[y + 1, s] += w10 * a0
                Y[y + 2, s] += w20 * a0
                Y[y + 3, s] += w30 * a0
        r += width


@kernel(EXACT)
def _one_row(theta, w_off, r_stride, bias, X, x_row, col, n_x, Y, y, n):
    """Row y of Y: ``bias + sum_r W[r] X[x_row + r, col:col + n]``."""
    r = 0
    while r < n_x:
        width = _width(r, n_x)
        w0 = _weight(theta, w_off, 0, r_stride, 0, r, n_x)
        w1 = _weight(theta, w_off, 0, r_stride, 0, r + 1, n_x)
        w2 = _weight(theta, w_off, 0, r_stride, 0, r + 2, n_x)
        w3 = _weight(theta, w_off, 0, r_stride, 0, r + 3, n_x)
        r0, r1, r2, r3 = _input_rows(x_row, r, n_x)
        b = bias if r == 0 else theta.dtype.type(0.0)
        accumulate = r > 0
        if width == 4:
            for s in range(n):
                c = col + np.uint64(s)
                t = b + w0 * X[r0, c] + w1 * X[r1, c] + w2 * X[r2, c] + w3 * X[r3, c]
                Y[y, s] = Y[y, s] + t if accumulate else t
        elif width == 2:
            for s in range(n):
                c = col + np.uint64(s)
                t = b + w0 * X[r0, c] + w1 * X[r1, c]
                Y[y, s] = Y[y, s] + t if accumulate else t
        else:
            for s in range(n):
                t = b + w0 * X[r0, col + np.uint64(s)]
                Y[y, s] = Y[y, s] + t if accumulate else t
        r += width


@kernel(EXACT)
def weighted_row_sums(theta, w_off, i_stride, r_stride, bias_off, X, x_row, x_col, n_x, Y, y_row, n_y, n):
    """``Y[y_row + i, :n] = b_i + sum_r W[i, r] * X[x_row + r, x_col:x_col + n]`` for i < n_y.

    ``W[i, r] = theta[w_off + i * i_stride + r * r_stride]`` (strides (n_x, 1) read W_l, (1, n_y')
    read its transpose); ``b_i = theta[bias_off + i]``, or 0 when ``bias_off < 0``.
    """
    zero = theta.dtype.type(0.0)
    col = np.uint64(x_col)
    i = 0
    while i + 4 <= n_y:
        if bias_off >= 0:
            b = bias_off + i
            bias = (theta[b], theta[b + 1], theta[b + 2], theta[b + 3])
        else:
            bias = (zero, zero, zero, zero)
        _four_rows(theta, w_off + i * i_stride, i_stride, r_stride, bias, X, x_row, col, n_x, Y, y_row + i, n)
        i += 4
    while i < n_y:
        bias = theta[bias_off + i] if bias_off >= 0 else zero
        _one_row(theta, w_off + i * i_stride, r_stride, bias, X, x_row, col, n_x, Y, y_row + i, n)
        i += 1


@kernel(REDUCE)
def _dots_four_rows(V, v, X, x_row, col, n_x, out, o_off, o_stride, n):
    """``out[o_off + i * o_stride + k] += V[v + i, :n] . X[x_row + k, col:col + n]``, i < 4, k < n_x."""
    zero = out.dtype.type(0.0)
    k = 0
    while k < n_x:
        width = _width(k, n_x)
        r0, r1, r2, r3 = _input_rows(x_row, k, n_x)
        t00 = t01 = t02 = t03 = t10 = t11 = t12 = t13 = zero
        t20 = t21 = t22 = t23 = t30 = t31 = t32 = t33 = zero
        if width == 4:
            for s in range(n):
                c = col + np.uint64(s)
                a0, a1, a2, a3 = X[r0, c], X[r1, c], X[r2, c], X[r3, c]
                v0, v1, v2, v3 = V[v, s], V[v + 1, s], V[v + 2, s], V[v + 3, s]
                t00 += v0 * a0
                t01 += v0 * a1
                t02 += v0 * a2
                t03 += v0 * a3
                t10 += v1 * a0
                t11 += v1 * a1
                t12 += v1 * a2
                t13 += v1 * a3
                t20 += v2 * a0
                t21 += v2 * a1
                t22 += v2 * a2
                t23 += v2 * a3
                t30 += v3 * a0
                t31 += v3 * a1
                t32 += v3 * a2
                t33 += v3 * a3
        elif width == 2:
            for s in range(n):
                c = col + np.uint64(s)
                a0, a1 = X[r0, c], X[r1, c]
                v0, v1, v2, v3 = V[v, s], V[v + 1, s], V[v + 2, s], V[v + 3, s]
                t00 += v0 * a0
                t01 += v0 * a1
                t10 += v1 * a0
                t11 += v1 * a1
                t20 += v2 * a0
                t21 += v2 * a1
                t30 += v3 * a0
                t31 += v3 * a1
        else:
            for s in range(n):
                a0 = X[r0, col + np.uint64(s)]
                t00 += V[v, s] * a0
                t10 += V[v + 1, s] * a0
                t20 += V[v + 2, s] * a0
                t30 += V[v + 3, s] * a0
        for i, (u0, u1, u2, u3) in enumerate(((t00, t01, t02, t03), (t10, t11, t12, t13),
                                              (t20, t21, t22, t23), (t30, t31, t32, t33))):
            _add_four(out, o_off + i * o_stride + k, min(width, n_x - k), u0, u1, u2, u3)
        k += width


@kernel(REDUCE)
def _dots_one_row(V, v, X, x_row, col, n_x, out, o_off, n):
    """``out[o_off + k] += V[v, :n] . X[x_row + k, col:col + n]`` for k < n_x."""
    zero = out.dtype.type(0.0)
    k = 0
    while k < n_x:
        width = _width(k, n_x)
        r0, r1, r2, r3 = _input_rows(x_row, k, n_x)
        t0 = t1 = t2 = t3 = zero
        if width == 4:
            for s in range(n):
                c = col + np.uint64(s)
                value = V[v, s]
                t0 += value * X[r0, c]
                t1 += value * X[r1, c]
                t2 += value * X[r2, c]
                t3 += value * X[r3, c]
        elif width == 2:
            for s in range(n):
                c = col + np.uint64(s)
                value = V[v, s]
                t0 += value * X[r0, c]
                t1 += value * X[r1, c]
        else:
            for s in range(n):
                t0 += V[v, s] * X[r0, col + np.uint64(s)]
        _add_four(out, o_off + k, min(width, n_x - k), t0, t1, t2, t3)
        k += width


@kernel(EXACT)
def _add_four(out, o, count, t0, t1, t2, t3):
    """``out[o:o + count] += (t0, t1, t2, t3)[:count]``."""
    out[o] += t0
    if count > 1:
        out[o + 1] += t1
    if count > 2:
        out[o + 2] += t2
    if count > 3:
        out[o + 3] += t3


@kernel(EXACT)
def add_row_dots(V, v_row, n_v, X, x_row, x_col, n_x, out, o_off, o_stride, n):
    """``out[o_off + i * o_stride + k] += V[v_row + i, :n] . X[x_row + k, x_col:x_col + n]``
    for i < n_v, k < n_x: with V the deltas and X the previous activations, dW += delta a^T."""
    col = np.uint64(x_col)
    i = 0
    while i + 4 <= n_v:
        _dots_four_rows(V, v_row + i, X, x_row, col, n_x, out, o_off + i * o_stride, o_stride, n)
        i += 4
    while i < n_v:
        _dots_one_row(V, v_row + i, X, x_row, col, n_x, out, o_off + i * o_stride, n)
        i += 1


@kernel(REDUCE)
def row_sum(V, v_row, n):
    """``sum(V[v_row, :n])``."""
    total = V.dtype.type(0.0)
    for s in range(n):
        total += V[v_row, s]
    return total


@kernel(REDUCE)
def one_output_backward(theta, X, x_col, A, D, n_x, n_h, grad, n):
    """The backward pass of a network ``n_x -> n_h -> 1`` over a block, fused: for each hidden unit j,
    one pass over the samples adds ``dW2[j] += d . a_j``, ``db1[j] += sum(delta_j)`` and
    ``dW1[j, k] += delta_j . x_k``, with ``d`` the output deltas (D's row n_h) and
    ``delta_j = (W2[j] d) f'(z_j)`` (D's row j) kept in registers; then ``db2 += sum(d)``. The same
    sums as ``network.backward_block``'s passes (db, dW by ``add_row_dots``, the deltas by
    ``products.input_deltas``), 1.7-1.8x faster for the seeds' two inputs: the deltas are neither
    stored nor read again. Inputs go in pairs, a pass each (a last one alone pairs with itself, and
    its twin's sum is dropped), so it pays for a few inputs only (``network.FUSED_INPUTS``).
    """
    zero = grad.dtype.type(0.0)
    w2 = n_h * (n_x + 1)  # W2's offset in theta and grad; db2 follows it
    col = np.uint64(x_col)
    for j in range(n_h):
        w = theta[w2 + j]
        for k in range(0, n_x, 2):
            k1 = min(k + 1, n_x - 1)
            g_w = g_b = t0 = t1 = zero
            for s in range(n):
                c = col + np.uint64(s)
                d = D[n_h, s]
                g_w += d * A[j, s]
                delta = (w * d) * D[j, s]
                g_b += delta
                t0 += delta * X[k, c]
                t1 += delta * X[k1, c]
            grad[j * n_x + k] += t0
            if k1 > k:
                grad[j * n_x + k1] += t1
            if k == 0:
                grad[w2 + j] += g_w
                grad[n_h * n_x + j] += g_b
    grad[w2 + n_h] += row_sum(D, n_h, n)
