"""Loss and gradient over many samples, full-batch gradient descent, minibatch epochs and
predictions, in compiled loops.

Samples are cut into blocks of at most ``A.shape[2]``, of about equal size, and the blocks into ``n_groups`` contiguous groups.
Each group sums its blocks' gradients into its own row of ``gpart``; the rows are then added in
group order. The number of groups depends only on the number of blocks, never on the thread
count, so results are bitwise identical at any number of threads, and the serial and parallel
twins of each driver (``options.serial_and_parallel``) give identical results too.

The parallel twins hand out groups (a prediction: blocks) as tickets, from a shared counter,
rather than a fixed share to each thread: a thread that wakes late, or shares its core with
another process (OpenBLAS's workers spinning after a scikit-learn call, another job), takes fewer,
and the region no longer waits for its whole share. Which thread computes a group never changes
its bits. In the serial twin the first worker takes every ticket.
"""
import numpy as np
from numba import prange

from .losses import output_activation, output_loss_delta
from .network import backward_block, forward_block, output_row
from .optimizers import optimizer_step, regularized_gradient, squared_weights
from .options import EXACT, kernel, parallel_kernel, serial_and_parallel
from .products import wide
from .threads import (MASK_WORDS, atomic_add, atomic_load, atomic_store, current_cpu, pin, thread_self, unpin,
                      wait_until)


@kernel(EXACT)
def n_groups(n_samples, block, max_groups):
    """Number of groups for ``n_samples`` in blocks of ``block``: one a block, at most ``max_groups``."""
    n_blocks = (n_samples + block - 1) // block
    return max(1, min(n_blocks, max_groups))


@kernel(EXACT)
def group_loss_grad(g, groups, theta, net, data, start, stop, x_rows, ws, slot=-1):
    """The fused step over group g's blocks of samples ``start .. stop - 1`` (``data.X``
    sample-major if ``x_rows``, for a wide first layer only): for each block, forward, loss
    (``data.w``-weighted) and backward. The loss goes to ``ws.lpart[g]``, the gradient to ``ws.gpart[g]``;
    the block's activations to the buffers ``ws.A[slot]``, ``ws.D[slot]``, ``ws.T[slot]`` (g's if
    ``slot`` is -1): a thread that computes different groups keeps its buffers in its core's cache.

    (The block loop and the step are one kernel, not two: every level of compiled calls makes
    numba optimise and emit the whole tree below it again, a second of a first fit per level.)"""
    sizes = net.sizes
    row = output_row(sizes)
    n_out = sizes[sizes.shape[0] - 1]
    slot = g if slot < 0 else slot
    A, D, T = ws.A[slot], ws.D[slot], ws.T[slot]
    n_blocks = (stop - start + A.shape[1] - 1) // A.shape[1]
    # blocks of about equal size (a multiple of 8 samples, the last one shorter), so that groups
    # of as many blocks are as much work: 2000 samples in four blocks of 640 left one of two
    # threads 1,280 samples an iteration, and 504 each leave it 1,008
    block = min(A.shape[1], ((stop - start + n_blocks - 1) // n_blocks + 7) // 8 * 8)
    grad = ws.gpart[g]
    grad[:] = 0
    loss = 0.0
    for b in range(g * n_blocks // groups, (g + 1) * n_blocks // groups):
        col = start + b * block
        n = min(block, stop - col)
        forward_block(theta, net, data.X, col, A, D, n, x_rows)
        loss += output_loss_delta(net.output, A, row, n_out, data.Y, data.w, col, D, n)
        backward_block(theta, net, data.X, col, x_rows, A, D, T, grad, n)
    ws.lpart[g] = loss


@kernel(EXACT)
def sum_groups(ws, groups):
    """``ws.grad`` = the groups' gradients added in group order; returns their loss, likewise."""
    grad = ws.grad
    for p in range(grad.shape[0]):  # a loop, not grad[:] = ...: no shape-error message to compile (1.6 s)
        grad[p] = ws.gpart[0, p]
    for g in range(1, groups):
        for p in range(grad.shape[0]):
            grad[p] += ws.gpart[g, p]
    loss = 0.0
    for g in range(groups):
        loss += ws.lpart[g]
    return loss


# Counters of the threads of a parallel region (``sync``), a cache line apart.
_TICKET, _DONE, _STARTED, _STOPPED, _PINNED = 0, 8, 16, 24, 32


@kernel(EXACT)
def _helper(main_thread):
    """Whether the calling thread is not ``main_thread``, the one that opened the parallel region:
    a helper, which pins itself to a CPU other than the main thread's (:func:`threads.pin`) while it
    holds tickets, so that numba, which woke it on the main thread's CPU, cannot leave it there
    (both threads on one CPU run at one thread's speed). The main thread, and so the serial twins,
    never pin: no system calls where no second thread helps."""
    return thread_self() != main_thread


def _loss_grad(theta, net, data, start, stop, ws):
    """Loss of samples ``start .. stop - 1`` (weighted by ``data.w``); the gradient goes to ``ws.grad``."""
    groups = n_groups(stop - start, ws.A.shape[2], ws.gpart.shape[0])
    tickets = np.zeros(1, np.int64)
    for w in prange(groups):
        g = atomic_add(tickets, 0, 1)
        while g < groups:
            group_loss_grad(g, groups, theta, net, data, start, stop, False, ws, np.int64(w))
            g = atomic_add(tickets, 0, 1)
    return sum_groups(ws, groups)


@kernel(EXACT)
def descent_step(theta, ws, groups, learning_rate, costs, it):
    """End iteration ``it`` of gradient descent: its cost (the groups' losses, :func:`sum_groups`)
    to ``costs[it]``, then ``theta -= learning_rate * grad``, unless the cost is NaN or inf.
    Returns whether it was finite."""
    cost = sum_groups(ws, groups)
    costs[it] = cost
    if not np.isfinite(cost):
        return False
    grad = ws.grad
    for p in range(theta.shape[0]):
        theta[p] -= learning_rate * grad[p]
    return True


@kernel(EXACT)
def gradient_descent(theta, net, data, learning_rate, costs, ws):
    """Full-batch gradient descent, ``len(costs)`` iterations of ``theta -= learning_rate * grad``.

    ``costs[i]`` is the cost before iteration i's update. Stops at the first cost that is NaN or
    inf, without updating; returns the number of iterations completed (``len(costs)`` unless it
    stopped).
    """
    n_samples = data.X.shape[1]
    groups = n_groups(n_samples, ws.A.shape[2], ws.gpart.shape[0])
    for it in range(costs.shape[0]):
        for g in range(groups):
            group_loss_grad(g, groups, theta, net, data, 0, n_samples, False, ws, g)
        if not descent_step(theta, ws, groups, learning_rate, costs, it):
            return it
    return costs.shape[0]


@parallel_kernel(EXACT)
def gradient_descent_parallel(theta, net, data, learning_rate, costs, ws):
    """:func:`gradient_descent` on every thread, in one parallel region for all ``len(costs)``
    iterations (a region per iteration cost more than the seeds' iteration: ``threads``).

    The work is tickets, each an (iteration, group), that the threads take in order from a shared
    counter. A thread computes its ticket's group once that iteration has started; the thread that
    completes an iteration's last group ends it (:func:`descent_step`, which adds the groups in
    order: the serial twin's bits) and starts the next. A thread waits only for an iteration whose
    groups others hold, so the region cannot deadlock, whichever threads run it and in whatever
    order (one thread may take every ticket; a thread that runs several workers runs them one
    after another, and its later ones find the tickets gone).
    """
    n_samples = data.X.shape[1]
    groups = n_groups(n_samples, ws.A.shape[2], ws.gpart.shape[0])
    n_iterations = costs.shape[0]
    workers = groups  # not numba.get_num_threads(): a function pointer, which numba cannot cache
    sync = np.zeros(40, np.int64)
    sync[_STOPPED] = n_iterations
    masks = np.zeros((workers, 2, MASK_WORDS), np.uint64)
    main_thread, main_cpu = thread_self(), current_cpu()
    for w in prange(workers):
        pinned = pin(masks[w, 0], masks[w, 1], main_thread, main_cpu, sync, _PINNED)
        # a thread left without a CPU of its own (more threads than CPUs) sits out: it would only
        # hold a ticket while sharing a CPU (4 threads on 2 CPUs ran 1.7x slower than one thread)
        ticket = atomic_add(sync, _TICKET, 1) if pinned or main_cpu < 0 or thread_self() == main_thread else -1
        it = ticket // groups if ticket >= 0 else n_iterations
        while it < n_iterations:
            wait_until(sync, _STARTED, it)
            if it >= atomic_load(sync, _STOPPED):
                break
            group_loss_grad(ticket % groups, groups, theta, net, data, 0, n_samples, False, ws, np.int64(w))
            if atomic_add(sync, _DONE, 1) == (it + 1) * groups - 1:  # the iteration's last group
                if not descent_step(theta, ws, groups, learning_rate, costs, it):
                    atomic_store(sync, _STOPPED, it)
                atomic_store(sync, _STARTED, it + 1)
            ticket = atomic_add(sync, _TICKET, 1)
            it = ticket // groups
        unpin(masks[w, 0], pinned)
    return atomic_load(sync, _STOPPED)  # not sync[_STOPPED]: numba returned the value stored before the region


loss_grad, loss_grad_parallel = serial_and_parallel(_loss_grad)


@kernel(EXACT)
def gather_batch(data, order, start, stop, x_rows, batch):
    """The samples ``order[start], ..., order[stop - 1]`` of ``data`` (whose ``X`` is sample-major)
    into the first ``stop - start`` samples of ``batch``: its ``X`` sample-major too (a row copied
    a sample) if ``x_rows``, else feature-major (a feature at a time: the seeds' two features cost
    two vectorised gathers)."""
    X, Y, w = data
    if x_rows:
        for j in range(start, stop):
            row = order[j]
            for k in range(X.shape[1]):
                batch.X[j - start, k] = X[row, k]
    else:
        for k in range(X.shape[1]):
            for j in range(start, stop):
                batch.X[k, j - start] = X[order[j], k]
    for k in range(Y.shape[0]):
        for j in range(start, stop):
            batch.Y[k, j - start] = Y[k, order[j]]
    for j in range(start, stop):
        batch.w[j - start] = w[order[j]]


def _minibatch_epoch(theta, net, data, order, batch, batch_size, alpha, loss_scale, opt, ws):
    """One epoch of minibatch training, scikit-learn's: each batch a fused forward, loss, backward,
    L2 penalty and optimizer update.

    ``data.X`` is sample-major (n_samples, n_features), as scikit-learn passes it; ``data.Y`` is
    feature-major and ``data.w`` holds raw sample weights (ones for none). The batches are the
    consecutive runs of ``batch_size`` samples of ``order`` (a permutation of the samples; the last
    batch may be shorter), each copied into ``batch`` (buffers for ``batch_size`` samples,
    ``training.make_batch``) before it trains: its samples are then contiguous and stay in cache,
    and the data is never copied whole. A wide first layer reads the batch's rows in place (BLAS
    takes them transposed); a narrow one gets it transposed, feature-major.
    A batch's loss is ``loss_scale * sum(w loss) / sum(w) + alpha / 2 * |W|**2 / sum(w)`` and its
    gradient ``(sum(w grad) + alpha W) / sum(w)`` (``fastnn.kernels.optimizers``).

    Returns ``(total, done)``: the batch losses summed with weights the batch sizes, and the number
    of samples trained on, ``n_samples`` unless a batch's loss was NaN or inf, where it stops
    before that batch's update.
    """
    n_samples = order.shape[0]
    x_rows = wide(net.sizes[0], net.sizes[1], theta.itemsize)
    block = ws.A.shape[2]
    grad = ws.grad
    total = 0.0
    tickets = np.zeros(1, np.int64)
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        n = stop - start
        gather_batch(data, order, start, stop, x_rows, batch)
        groups = n_groups(n, block, ws.gpart.shape[0])
        tickets[0] = 0
        for w in prange(groups):
            g = atomic_add(tickets, 0, 1)
            while g < groups:
                group_loss_grad(g, groups, theta, net, batch, 0, n, x_rows, ws, np.int64(w))
                g = atomic_add(tickets, 0, 1)
        loss = sum_groups(ws, groups)
        weight = 0.0
        for c in range(n):
            weight += batch.w[c]
        loss = loss * loss_scale / weight + 0.5 * alpha * squared_weights(theta, net.sizes) / weight
        if not np.isfinite(loss):
            return total, start
        total += loss * n
        regularized_gradient(theta, grad, net.sizes, alpha, weight)
        optimizer_step(theta, grad, opt)
    return total, n_samples


minibatch_epoch, minibatch_epoch_parallel = serial_and_parallel(_minibatch_epoch)


@kernel(EXACT)
def finite_block(X, col, n, x_rows):
    """Whether samples ``col .. col + n - 1`` of ``X`` (sample-major if ``x_rows``, else
    feature-major) are all finite: an OR of ``x - x != 0`` (true for NaN and inf only), which
    vectorises, run on a block just before its product reads it, so X leaves memory once."""
    bad = False
    if x_rows:
        for i in range(col, col + n):
            for k in range(X.shape[1]):
                bad |= X[i, k] - X[i, k] != 0
    else:
        for k in range(X.shape[0]):
            for i in range(col, col + n):
                bad |= X[k, i] - X[k, i] != 0
    return not bad


def _predict(theta, net, X, x_rows, out, ws):
    """Output activations for every sample of ``X`` (sample-major if ``x_rows``, else
    feature-major) into ``out`` (n, n_outputs: scikit-learn's layout), the blocks taken as tickets
    by as many workers as ``ws`` has groups, a helper pinned to a CPU of its own (each sample's
    arithmetic is the same in any block: any split gives the same bits). Each block of X is checked
    for NaN and inf first (:func:`finite_block`); returns whether all of X was finite. Every
    block is computed all the same: under scikit-learn's ``assume_finite`` nothing raises, and
    the output must then be the forward pass of every sample, as scikit-learn's."""
    n_samples = X.shape[0] if x_rows else X.shape[1]
    n_out = out.shape[1]
    row = output_row(net.sizes)
    block = ws.A.shape[2]
    n_blocks = (n_samples + block - 1) // block
    workers = min(n_blocks, ws.A.shape[0])
    sync = np.zeros(40, np.int64)
    masks = np.zeros((workers, 2, MASK_WORDS), np.uint64)
    main_thread, main_cpu = thread_self(), current_cpu()
    for w in prange(workers):
        A, D = ws.A[np.int64(w)], ws.D[np.int64(w)]
        b = atomic_add(sync, _TICKET, 1)
        pinned = b < n_blocks and _helper(main_thread) and pin(masks[w, 0], masks[w, 1], main_thread, main_cpu, sync,
                                                               _PINNED)
        while b < n_blocks:
            col = b * block
            n = min(block, n_samples - col)
            if not finite_block(X, col, n, x_rows):
                atomic_store(sync, _STOPPED, 1)
            forward_block(theta, net, X, col, A, D, n, x_rows)
            output_activation(net.output, A, row, n_out, n)
            for s in range(n):  # a loop, not a slice assignment: no shape-error message to compile
                for j in range(n_out):
                    out[col + s, j] = A[row + j, s]
            b = atomic_add(sync, _TICKET, 1)
        unpin(masks[w, 0], pinned)
    return atomic_load(sync, _STOPPED) == 0


predict, predict_parallel = serial_and_parallel(_predict)
