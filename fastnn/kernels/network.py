"""The fused forward and backward pass of a dense network over one block of samples, any depth.

Conventions shared by every kernel (``fastnn.layout`` is their Python mirror):

- ``theta`` is the flat parameter buffer. Layer l = 1..L holds ``W_l`` (``sizes[l]`` x
  ``sizes[l-1]``, row-major, the seeds' shape) followed by ``b_l`` (``sizes[l]``).
- Data are feature-major, as in the seeds: ``X[k, i]`` is feature k of sample i. A block is the
  columns ``col .. col + n - 1``; it is read in place, never copied. The forward pass also takes
  sample-major inputs (``x_rows``: ``X[i, k]``, as scikit-learn passes them, a block being rows
  ``col .. col + n - 1``), so that a prediction needs no transposed copy of its input.
- ``A`` and ``D`` have one row per unit of layers 1..L (layer l from row ``sum(sizes[1:l])``) and
  one column per sample of the block. The innermost loops run along rows, over the samples, so
  they are contiguous and vectorise, and a block stays in cache. The forward pass leaves the
  activations in A (the output layer's logits z) and f'(z) in D; the backward pass turns D into
  the deltas dloss/dz.
"""
from collections import namedtuple

from numba.core import types
from numba.extending import typeof_impl

from .activations import activate_row
from .options import EXACT, kernel
from .products import forward_product, input_deltas, weight_gradient, wide
from .rows import add_row_dots, one_output_backward, row_sum, weighted_row_sums


#: Most inputs of a network ``n_x -> n_h -> 1`` whose backward pass is ``rows.one_output_backward``
#: (one pass per pair of inputs and hidden unit; more inputs take ``add_row_dots``'s tiles).
FUSED_INPUTS = 4

#: How a network's backward pass runs (``Net.backward``): ``ONE_OUTPUT``, for ``n_x -> n_h -> 1``
#: with at most ``FUSED_INPUTS`` inputs (the seeds' networks), by ``rows.one_output_backward``;
#: ``LAYERS``, for every other network, layer by layer.
LAYERS, ONE_OUTPUT = range(2)


class Net(namedtuple("Net", "sizes activation leak output backward")):
    """What a kernel needs to know of a network: ``sizes`` (int64 array n_0..n_L), the hidden
    ``activation`` code, ``leak`` (leaky ReLU slope, in the parameters' dtype), the ``output`` kind
    and how its ``backward`` pass runs (from ``sizes``).

    numba types the three codes as constants (:func:`_typeof_net`), so each combination compiles
    kernels of its own that hold only its branches: a first fit types, lowers and optimises one
    activation, one loss and one backward pass, not six, five and two. The codes are held as
    :class:`Code`."""

    __slots__ = ()

    def __new__(cls, sizes, activation, leak, output, backward=None):  # every field: numba types Net(...) by them
        if backward is None:
            backward = ONE_OUTPUT if len(sizes) == 3 and sizes[2] == 1 and sizes[0] <= FUSED_INPUTS else LAYERS
        return super().__new__(cls, sizes, Code(activation), leak, Code(output), Code(backward))


class Code(int):
    """A code in a ``Net``. numba's dispatcher types an argument by a fingerprint that it caches,
    and a plain int's fingerprint is its type alone: a Net of another activation would be given
    the first Net's constants and run the first Net's kernel. It cannot fingerprint an int
    subclass, so it types each Net passed from Python afresh (:func:`_typeof_net`)."""

    __slots__ = ()


@typeof_impl.register(Net)
def _typeof_net(net, context):
    return types.NamedTuple([typeof_impl(net.sizes, context), types.literal(int(net.activation)),
                             typeof_impl(net.leak, context), types.literal(int(net.output)),
                             types.literal(int(net.backward))], Net)


#: Training data, feature-major: ``X`` (n_features, n), ``Y`` (n_outputs, n), per-sample weights ``w``
#: (``1/n`` each for a mean loss).
Data = namedtuple("Data", "X Y w")

#: Per-group buffers (group g uses index g of each): a block's activations ``A``, derivatives and
#: deltas ``D``, scratch rows ``T`` for a layer's ``W^T delta`` (at least four, one per unit of the
#: widest hidden layer); the group's gradient ``gpart`` and loss ``lpart``; and ``grad``, the
#: gradient summed over groups.
Workspace = namedtuple("Workspace", "A D T gpart lpart grad")


@kernel(EXACT)
def output_row(sizes):
    """First row of the output layer in A and D: ``sum(sizes[1:L])``."""
    row = 0
    for layer in range(1, sizes.shape[0] - 1):
        row += sizes[layer]
    return row


@kernel(EXACT)
def forward_block(theta, net, X, col, A, D, n, x_rows=False):
    """Layers 1..L for samples ``col .. col + n - 1`` of X (sample-major if ``x_rows``):
    ``z = W a + b``, then the activation."""
    sizes = net.sizes
    n_layers = sizes.shape[0] - 1
    p = 0  # offset of W_l in theta
    row = 0  # first row of layer l in A and D
    prev = 0  # first row of layer l - 1 in A
    for layer in range(1, n_layers + 1):
        n_in = sizes[layer - 1]
        n_out = sizes[layer]
        bias = p + n_out * n_in
        if layer == 1 and (x_rows or wide(n_in, n_out, theta.itemsize)):
            forward_product(theta, p, n_in, n_out, X, col * n_in if x_rows else col, X.shape[1], x_rows, A, row, n)
        elif wide(n_in, n_out, theta.itemsize):
            forward_product(theta, p, n_in, n_out, A, prev * A.shape[1], A.shape[1], False, A, row, n)
        elif layer == 1:
            weighted_row_sums(theta, p, n_in, 1, bias, X, 0, col, n_in, A, row, n_out, n)
        else:
            weighted_row_sums(theta, p, n_in, 1, bias, A, prev, 0, n_in, A, row, n_out, n)
        if layer < n_layers:
            for j in range(n_out):
                activate_row(net.activation, net.leak, A, row + j, D, row + j, n)
        p += n_out * (n_in + 1)
        prev = row
        row += n_out


@kernel(EXACT)
def backward_block(theta, net, X, col, x_rows, A, D, T, grad, n):
    """Backpropagate the block's output deltas (D's last rows) through layers L..1 (``X``
    sample-major if ``x_rows``, which only a wide first layer takes).

    Adds each layer's ``dW = delta a_prev^T`` and ``db = sum(delta)`` over the block to ``grad``
    and turns D's hidden rows into deltas: ``delta_prev = (W^T delta) * f'(z_prev)``. The pass is
    the kernel of ``net.backward``'s case (``Kernel.cases``).
    """
    backward_pass(net.backward, theta, net, X, col, x_rows, A, D, T, grad, n)


@kernel(EXACT)
def _one_output_backward(kind, theta, net, X, col, x_rows, A, D, T, grad, n):
    """``backward_block`` of a ``ONE_OUTPUT`` network: one fused pass (its first layer, at most
    ``FUSED_INPUTS`` wide, never reads sample-major rows)."""
    one_output_backward(theta, X, col, A, D, net.sizes[0], net.sizes[1], grad, n)


@kernel(EXACT)
def _layers_backward(kind, theta, net, X, col, x_rows, A, D, T, grad, n):
    """``backward_block`` of a ``LAYERS`` network: layer by layer, each product by BLAS (wide) or
    by the row tiles."""
    sizes = net.sizes
    n_layers = sizes.shape[0] - 1
    p = theta.shape[0]  # offsets are walked back from the ends
    row = output_row(sizes) + sizes[n_layers]
    for layer in range(n_layers, 0, -1):
        n_in = sizes[layer - 1]
        n_out = sizes[layer]
        p -= n_out * (n_in + 1)
        row -= n_out
        prev = row - n_in
        for j in range(n_out):
            grad[p + n_out * n_in + j] += row_sum(D, row + j, n)
        if wide(n_in, n_out, theta.itemsize) and layer == 1:
            weight_gradient(D, row, n_out, X, col * n_in if x_rows else col, X.shape[1], x_rows, n_in, grad, p, n)
        elif wide(n_in, n_out, theta.itemsize):
            weight_gradient(D, row, n_out, A, prev * A.shape[1], A.shape[1], False, n_in, grad, p, n)
        elif layer == 1:
            add_row_dots(D, row, n_out, X, 0, col, n_in, grad, p, n_in, n)
        else:
            add_row_dots(D, row, n_out, A, prev, 0, n_in, grad, p, n_in, n)
        if layer > 1:
            input_deltas(theta, p, n_in, n_out, D, row, prev, T, n)


@kernel(EXACT)
def backward_pass(kind, theta, net, X, col, x_rows, A, D, T, grad, n):
    """``backward_block`` by ``kind`` (``ONE_OUTPUT`` or ``LAYERS``)."""
    if kind == ONE_OUTPUT:
        _one_output_backward(kind, theta, net, X, col, x_rows, A, D, T, grad, n)
    else:
        _layers_backward(kind, theta, net, X, col, x_rows, A, D, T, grad, n)


backward_pass.cases = {ONE_OUTPUT: _one_output_backward, LAYERS: _layers_backward}
