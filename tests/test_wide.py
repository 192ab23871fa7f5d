"""Wide networks (issue 9): minibatches of wide layers cut in blocks over threads, and predictions
on all threads whose first layer reads sample-major rows (``fastnn.kernels.products``). Against
the reference (many epochs, loss and gradient, predictions), against finite differences, bitwise
the same at one and two threads and serial or parallel, float32 within a bound derived from the
reductions, and the new tile loop vectorised."""
import numba
import numpy as np
import pytest

from fastnn import reference
from fastnn.estimators.network import Network
from fastnn.kernels import losses, rows, train
from fastnn.kernels.activations import ACTIVATIONS
from fastnn.kernels.network import Data
from fastnn.layout import Layout
from fastnn.training import block_size, make_batch, make_net, make_workspace, minibatch_block

from .test_minibatch_epoch import epoch_data, kernel_state, reference_step
from .test_output_kinds import targets
from .test_precision import uncached, vector_instructions, x86_only

#: (n_features, hidden): wide enough for several 4 x 4 tiles, ragged at the edges.
SHAPES = [(70, (33,)), (40, (45, 38))]
ID = lambda shape: f"{shape[0]}-" + "x".join(map(str, shape[1]))  # noqa: E731


def problem(n_features, hidden, kind="log_loss", n_out=3, n=230, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_features, n)
    Y = targets(kind, n_out, n, rng)
    sizes = (n_features,) + hidden + (n_out,)
    params = reference.initialize_parameters(sizes, "glorot", seed=1)
    net = make_net(sizes, ACTIVATIONS["tanh"], 0.01, losses.OUTPUTS[kind], np.dtype(dtype))
    return X.astype(dtype), Y.astype(dtype), (rng.rand(n) + 0.5).astype(dtype), sizes, params, net


def run_epochs(shape, kernel, epochs, threads=None, dtype=np.float64, batch_size=50):
    X, Y, w, sizes, params, net = problem(*shape, dtype=dtype)
    layout = Layout(sizes)
    theta = layout.from_dict(params, dtype)
    data = epoch_data(X, Y, w)
    batches = make_batch(sizes, batch_size, np.dtype(dtype))
    ws = make_workspace(sizes, batch_size, np.dtype(dtype), block=batch_size // 2)
    assert ws.gpart.shape[0] == 2
    opt = kernel_state("adam", layout.n_params)
    opt = opt._replace(m=opt.m.astype(dtype), v=opt.v.astype(dtype))
    order = np.arange(X.shape[1])
    rng = np.random.RandomState(2)
    losses_ = []
    numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
    try:
        for _ in range(epochs):
            rng.shuffle(order)
            total, done = kernel(theta, net, data, order, batches, batch_size, 1e-3, 1.0, opt, ws)
            assert done == X.shape[1]
            losses_.append(total / X.shape[1])
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return theta, losses_


@pytest.mark.parametrize("shape", SHAPES, ids=ID)
def test_many_minibatch_epochs_match_the_reference(shape):
    """Twenty epochs of Adam on shuffled batches of 50, each two blocks of 25."""
    epochs = 20
    theta, kernel_losses = run_epochs(shape, train.minibatch_epoch_parallel, epochs)
    X, Y, w, sizes, params, _ = problem(*shape)
    step = reference_step("adam", params)
    rng = np.random.RandomState(2)
    order = np.arange(X.shape[1])
    for epoch in range(epochs):
        rng.shuffle(order)
        params, ref_loss = reference.minibatch_epoch(X, Y, w, params, order, 50, "tanh", "log_loss", 1e-3, step)
        assert kernel_losses[epoch] == pytest.approx(ref_loss, rel=1e-10)
    np.testing.assert_allclose(theta, Layout(sizes).from_dict(params, np.float64), rtol=0, atol=1e-10)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
@pytest.mark.parametrize("shape", SHAPES, ids=ID)
def test_epochs_are_bitwise_the_same_at_one_and_two_threads_serial_or_parallel(shape):
    results = [run_epochs(shape, train.minibatch_epoch_parallel, 3, threads=1),
               run_epochs(shape, train.minibatch_epoch_parallel, 3, threads=2),
               run_epochs(shape, train.minibatch_epoch, 3)]
    for theta, losses_ in results[1:]:
        assert np.array_equal(theta, results[0][0]) and losses_ == results[0][1]


def test_float32_epochs_stay_within_rounding_of_float64():
    """Float32 against float64 after three epochs. Each value is a sum of at most k = 71 products
    (70 inputs and a bias), so one product's relative error is below k * eps32 ~ 1e-5 times the
    sum of magnitudes; Adam's step is bounded by its rate (0.01) whatever the gradient, so three
    epochs of 5 steps move a weight by at most 0.15, and rounding errors of that relative size
    leave the weights within 1e-3 of each other and the losses within 1e-3 relative."""
    theta64, losses64 = run_epochs(SHAPES[0], train.minibatch_epoch, 3)
    theta32, losses32 = run_epochs(SHAPES[0], train.minibatch_epoch, 3, dtype=np.float32)
    np.testing.assert_allclose(losses32, losses64, rtol=1e-3)
    assert np.max(np.abs(theta32 - theta64)) < 1e-3


@pytest.mark.parametrize("shape", SHAPES, ids=ID)
def test_gradient_matches_finite_differences(shape):
    """Central differences of the kernel's own loss, on 40 parameters drawn across every layer."""
    X, Y, w, sizes, params, net = problem(*shape, n=120)
    theta = Layout(sizes).from_dict(params, np.float64)
    ws = make_workspace(sizes, X.shape[1], np.dtype(np.float64))
    data = Data(X, Y, w)
    train.loss_grad(theta, net, data, 0, X.shape[1], ws)
    grad = ws.grad.copy()
    step = 1e-6
    for p in np.random.RandomState(3).choice(theta.size, 40, replace=False):
        plus, minus = theta.copy(), theta.copy()
        plus[p] += step
        minus[p] -= step
        numeric = (train.loss_grad(plus, net, data, 0, X.shape[1], ws)
                   - train.loss_grad(minus, net, data, 0, X.shape[1], ws)) / (2 * step)
        assert numeric == pytest.approx(grad[p], rel=1e-5, abs=1e-8)


#: Narrow first layers read from sample-major rows too (by BLAS, as wide ones): 20 -> 5, and 30 -> 3
#: outputs with no hidden layer.
NARROW_FIRST = [(20, (5,)), (30, ())]


@pytest.mark.parametrize("shape", SHAPES + NARROW_FIRST + [(784, (100,))], ids=ID)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predictions_match_the_reference_on_any_threads(shape, dtype):
    """Sample-major input (the first layer by BLAS, reading the rows in place), parallel and
    serial, 1 or 2 threads, and feature-major input, against the reference's forward pass: the
    same bits whatever the split, rounding from it."""
    X, _, _, sizes, params, _ = problem(*shape, n=1300)
    network = Network(sizes, "tanh", "softmax", dtype)
    theta = Layout(sizes).from_dict(params, dtype)
    samples = np.ascontiguousarray(X.T, dtype=dtype)
    outputs = []
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            outputs.append(network.predict_samples(theta, samples)[0])
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    outputs.append(network.predict(theta, np.ascontiguousarray(X, dtype=dtype))[0])  # feature-major, row kernels
    assert np.array_equal(outputs[0], outputs[1])
    expected, _ = reference.forward(X, params, "tanh", output="log_loss")
    # a probability is a softmax of sums of 1 + n_features products: rounding of a few eps per term
    tolerance = 50 * (shape[0] + 1) * np.finfo(dtype).eps
    for out in outputs:
        np.testing.assert_allclose(out, expected.T, rtol=0, atol=tolerance)
        assert out.flags.c_contiguous  # scikit-learn's layout, written in place


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no machine code without the JIT")
@x86_only
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dot_tiles_vectorise(dtype):
    """The 4 x 4 tile of dot products that accumulates a narrow layer's ``dW += delta a^T``."""
    theta = np.zeros(40 * 8 + 8, dtype)
    X = np.zeros((16, 40), dtype)
    tiles = uncached(rows._dots_four_rows)
    tiles(X, 0, X, 0, np.uint64(0), 4, theta, 0, 4, 40)
    assert vector_instructions(tiles) >= 16  # the 4 x 4 tile's K loop: packed FMAs


def test_wide_minibatches_are_cut_in_two_blocks_and_small_ones_are_not():
    """The cut depends on the shapes alone (never the thread count): the same bits anywhere."""
    f64 = np.dtype(np.float64)
    assert minibatch_block((784, 100, 10), 200, f64) == 100
    assert minibatch_block((100, 256, 256, 10), 201, f64) == 101
    assert minibatch_block((784, 100, 10), 1000, f64) == block_size((784, 100, 10), f64) == 256  # four blocks
    assert minibatch_block((20, 100, 1), 200, f64) == block_size((20, 100, 1), f64)  # 2,201 x 200: below SPLIT_WORK
    assert minibatch_block((20, 64, 64, 1), 200, f64) == block_size((20, 64, 64, 1), f64)
    assert minibatch_block((784, 100, 10), 20, f64) == 256  # 20 x 79,510 parameters: below SPLIT_WORK


def test_each_groups_gradient_row_has_its_own_cache_lines():
    """Threads accumulate into their own rows of gpart: a line shared by two rows would pass
    between the cores at every write (padded by at least a line, whatever numpy's alignment)."""
    from fastnn.training import CACHE_LINE

    for dtype in (np.float32, np.float64):
        ws = make_workspace((2, 5, 1), 4096, np.dtype(dtype))
        n_params, row_bytes = 21, ws.gpart.strides[0]
        assert ws.gpart.shape[0] > 1 and row_bytes % CACHE_LINE == 0
        assert row_bytes - n_params * ws.gpart.itemsize >= CACHE_LINE


def test_blocks_fill_their_bytes_between_the_bounds():
    """Narrow networks get long blocks (rows of A and D within BLOCK_BYTES), wide ones BLOCK."""
    from fastnn.training import BLOCK, BLOCK_BYTES, MAX_BLOCK

    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert block_size((2, 5, 1), f64) == MAX_BLOCK
    assert block_size((2, 50, 1), f64) == 640  # 51 rows of A and D in 512 KiB: 642, a multiple of 64 below
    assert block_size((2, 50, 1), f32) == MAX_BLOCK
    assert block_size((100, 256, 256, 10), f64) == BLOCK
    for sizes in ((2, 5, 1), (2, 50, 1), (20, 100, 1), (784, 100, 10)):
        block = block_size(sizes, f64)
        assert block % 64 == 0 and BLOCK <= block <= MAX_BLOCK
        assert block == BLOCK or 2 * sum(sizes[1:]) * 8 * block <= BLOCK_BYTES


def test_cut_minibatches_follow_scikit_learn():
    """Two blocks per batch change only the order in which a batch's gradient is summed: the
    loss curve stays scikit-learn's to rounding, amplified over a few adam epochs."""
    sklearn_mlp = pytest.importorskip("sklearn.neural_network")
    from fastnn import MLPClassifier

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(600, 300)), rng.randint(0, 3, 600)
    assert minibatch_block((300, 64, 3), 200, np.dtype(np.float64)) == 100
    ours = MLPClassifier((64,), max_iter=5, random_state=0).fit(X, y)
    theirs = sklearn_mlp.MLPClassifier((64,), max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)  # the parity tests' bound


@pytest.mark.parametrize("workers", [1, 3, 5])
def test_prediction_tickets_give_the_same_bits_to_any_number_of_workers(workers):
    """The blocks of a prediction are tickets that any worker may take, into its own buffers:
    more workers than threads, or than blocks, give the serial twin's bits on one worker."""
    X, _, _, sizes, params, net = problem(70, (33,), n=1300)
    theta = Layout(sizes).from_dict(params, np.float64)
    samples = np.ascontiguousarray(X.T)
    outputs = []
    for kernel, max_groups in ((train.predict, 1), (train.predict, workers), (train.predict_parallel, workers)):
        ws = make_workspace(sizes, X.shape[1], np.dtype(np.float64), block=64, max_groups=max_groups)
        out = np.full((X.shape[1], sizes[-1]), np.nan)
        assert kernel(theta, net, samples, True, out, ws)
        outputs.append(out)
    assert not np.isnan(outputs[0]).any()
    for out in outputs[1:]:
        assert np.array_equal(out, outputs[0])


@pytest.mark.parametrize("threads", [1, 2])
def test_loss_grad_tickets_give_the_serial_twins_bits(threads):
    """Every group of a loss-and-gradient is a ticket, computed once whichever worker takes it:
    the parallel twin's loss and gradient are the serial twin's bits."""
    X, Y, w, sizes, params, net = problem(40, (45, 38), n=1300)
    theta = Layout(sizes).from_dict(params, np.float64)
    results = []
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for kernel in (train.loss_grad, train.loss_grad_parallel):
            ws = make_workspace(sizes, X.shape[1], np.dtype(np.float64), block=64)
            assert ws.gpart.shape[0] == 16
            loss = kernel(theta, net, Data(X, Y, w), 0, X.shape[1], ws)
            results.append((loss, ws.grad.copy()))
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert results[0][0] == results[1][0]
    assert np.array_equal(results[0][1], results[1][1])


def test_lbfgs_of_a_wide_network_runs_on_one_blas_thread(monkeypatch):
    """L-BFGS-B's own vector operations run on one BLAS thread, as the evaluations do: a threaded
    BLAS call between two evaluations leaves its worker spinning on the core the next one needs."""
    import scipy.optimize
    from threadpoolctl import threadpool_info, threadpool_limits

    from fastnn import MLPClassifier

    seen = []
    minimize = scipy.optimize.minimize

    def recording(fun, x0, **kwargs):
        def evaluated(x):
            seen.append(max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"))
            return fun(x)
        return minimize(evaluated, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", recording)
    X, _, _, _, _, _ = problem(20, (16,), n=200)
    y = np.arange(200) % 3
    with threadpool_limits(2, user_api="blas"):
        MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=3, random_state=0).fit(X.T, y)
    assert seen and set(seen) == {1}
