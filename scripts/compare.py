"""fastnn.fit side by side with the NumPy reference, scikit-learn, PyTorch and JAX, and with the limit.

Every implementation trains the same network (tanh hidden layers, sigmoid output, mean binary
cross-entropy, full-batch gradient descent, the cost recorded every iteration) on the same moons
data, from the same initial weights, for the same number of iterations, in float64 and float32:

- fastnn: ``fastnn.fit`` on all threads (fastnn 1t: on one), as a user's process runs it: the
  kernels loaded by one untimed two-iteration fit, nothing compiled by hand (``--steady`` adds
  fastnn steady: both twins compiled first); reference: ``fastnn.reference.fit``,
  the seeds' NumPy loop;
- sklearn: ``MLPClassifier(solver="sgd", batch_size=N, momentum=0, alpha=0)``, the same updates;
- torch 1t / torch Nt: PyTorch eager with autograd, on one thread and on all of them;
- jax: ``jit`` over a ``lax.scan`` of the whole training loop.

Timings are interleaved (one run of each implementation per round) and the table shows medians
of microseconds per iteration and each one's ratio to fastnn (how many times slower it is). A ratio
measured this way survives a noisy machine far better than a wall-clock figure. Compile time is
excluded (a warm-up run first) and printed separately, with the start-up time of a new process.
The final cost of every run is printed too: they trained the same model.

The limit column is the time this machine needs at its measured single-core peaks: the
iteration's floating-point operations at the speed of a large matrix product, plus its
transcendental evaluations (tanh, exp, log1p) at the speed of the fastest vectorised tanh here,
divided by the cores fastnn runs on.

torch and jax are optional (``pip install fastnn-numba[compare]``, with a CPU build of torch);
whatever is missing is reported as skipped.

    python scripts/compare.py            # the full table and plot, about five minutes
    python scripts/compare.py --quick    # two small cases, about a minute
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import fastnn
from fastnn import reference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "asv_bench"))
from benchmarks import peers  # noqa: E402

LEARNING_RATE = peers.LEARNING_RATE
DTYPES = (np.float64, np.float32)
DEFAULT_PLOT = Path(__file__).resolve().parent / "out" / "compare.png"


@dataclass(frozen=True)
class Case:
    n_samples: int
    hidden: tuple

    @property
    def label(self):
        return f"N={self.n_samples:<6d} hidden={'x'.join(map(str, self.hidden))}"

    @property
    def sizes(self):
        return (2,) + self.hidden + (1,)

    @classmethod
    def parse(cls, text):
        """``"2000:64x64"`` -> ``Case(2000, (64, 64))``."""
        n_samples, hidden = text.split(":")
        return cls(int(n_samples), tuple(int(n) for n in hidden.split("x")))


#: The core issue's table, and the sizes of the plot (time against N for the seeds' network).
CASES = [Case(500, (5,)), Case(2000, (1,)), Case(2000, (3,)), Case(2000, (5,)), Case(2000, (10,)),
         Case(2000, (50,)), Case(20000, (50,)), Case(20000, (64, 64)), Case(20000, (256, 256))]
PLOT_HIDDEN = (5,)
PLOT_CASES = [Case(n, PLOT_HIDDEN) for n in (500, 2000, 8000, 32000, 128000)]
QUICK_CASES = [Case(500, (5,)), Case(2000, (5,))]


@dataclass(frozen=True)
class Problem:
    """One case's data (float64, seed layout) and initial weights, shared by every implementation."""
    case: Case
    X: np.ndarray
    Y: np.ndarray
    start: dict

    @classmethod
    def make(cls, case):
        X, Y = fastnn.datasets.moons(n_samples=case.n_samples, noise=0.25, seed=0)
        return cls(case, X, Y.astype(np.float64), reference.initialize_parameters(case.sizes, "he", seed=0))


# --- the implementations, from the asv suite's ``peers`` module (both time the same code)

@dataclass(frozen=True)
class Competitor:
    """``peers.<function>(X, Y, start, hidden, dtype, **options)`` under a name; ``requires``: an
    optional module it needs."""
    name: str
    function: str
    options: tuple = ()
    requires: str = None

    def unavailable(self):
        """Why this one cannot run here, or None."""
        try:
            if self.requires:
                peers.optional(self.requires)
        except NotImplementedError as error:
            return f"{error}: pip install fastnn-numba[compare]" + (", with a CPU build of torch"
                                                                     if self.requires == "torch" else "")
        return None

    def prepare(self, problem, dtype):
        """``prepare(iterations)`` -> the call to time (see ``peers``)."""
        return getattr(peers, self.function)(problem.X, problem.Y, problem.start, problem.case.hidden, dtype,
                                             **dict(self.options))


COMPETITORS = [
    Competitor("fastnn", "fastnn_fit"),
    Competitor("fastnn 1t", "fastnn_fit", (("threads", 1),)),
    Competitor("fastnn steady", "fastnn_fit", (("steady", True),)),  # only with --steady
    Competitor("reference", "reference_fit"),
    Competitor("sklearn", "sklearn_fit"),
    Competitor("torch 1t", "torch_eager", (("threads", 1),), "torch"),
    Competitor(f"torch {os.cpu_count()}t", "torch_eager", (("threads", os.cpu_count()),), "torch"),
    Competitor("jax", "jax_scan", (), "jax"),
]


# --- the physical limit

def work(case):
    """Floating-point operations and transcendental evaluations of one iteration of ``case``.

    Per sample, a layer of ``n_in`` -> ``n_out`` units costs 2 n_in n_out for ``W a`` and as much for
    ``dW += delta a^T``, and (above the first layer) as much again for ``W^T delta``; each hidden
    unit adds its bias, f'(z) = 1 - a^2, delta * f'(z) and the bias gradient (5), and evaluates one
    tanh; each output evaluates exp and log1p and ~10 more operations (stable loss and sigmoid).
    The update costs 2 per parameter.
    """
    n = case.n_samples
    sizes = case.sizes
    flops = transcendentals = 0
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        flops += (4 + 2 * (layer > 1)) * n_in * n_out * n + 2 * (n_in + 1) * n_out
    flops += 5 * n * sum(sizes[1:-1]) + 10 * n * sizes[-1]
    transcendentals = n * (sum(sizes[1:-1]) + 2 * sizes[-1])
    return flops, transcendentals


def best_time(call, repeats=5):
    best = np.inf
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return best


def machine_peaks(dtype):
    """This machine's single-core peaks in ``dtype``: FLOP/s of a 1024 x 1024 matrix product, and
    transcendental evaluations per second, the faster of ``np.tanh`` and fastnn's vectorised tanh
    (``fastnn.kernels.activations.activate_row``, which also writes the derivative), each over an
    array of 2^16 values that stays in cache. Returns ``(flops, transcendentals, details)``."""
    from threadpoolctl import threadpool_limits

    from fastnn.kernels.activations import ACTIVATIONS, activate_row

    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(dtype)
    with threadpool_limits(1):
        a @ a
        flops = 2 * 1024 ** 3 / best_time(lambda: a @ a)
    n = 1 << 16
    x = rng.uniform(-3, 3, n).astype(dtype)
    out = np.empty_like(x)
    numpy_tanh = n / best_time(lambda: np.tanh(x, out=out), 20)
    Z, D = x.reshape(1, n).copy(), np.empty((1, n), dtype)
    tanh_code, leak = ACTIVATIONS["tanh"], dtype(0.01)

    def fastnn_tanh():
        np.copyto(Z[0], x)  # tanh in place: start from the same values (the copy is timed too)
        activate_row(tanh_code, leak, Z, 0, D, 0, n)
    fastnn_tanh()
    vectorised_tanh = n / best_time(fastnn_tanh, 20)
    details = (f"{np.dtype(dtype).name}: matmul {flops / 1e9:.1f} GFLOP/s, np.tanh {1e9 / numpy_tanh:.2f} ns, "
               f"fastnn tanh {1e9 / vectorised_tanh:.2f} ns per value")
    return flops, max(numpy_tanh, vectorised_tanh), details


def cores_used(case):
    """Threads fastnn.fit can run ``case`` on: its parallel twin splits the samples into blocks
    (``fastnn.twins.FasterTwin`` may still pick the serial twin on a busy machine)."""
    import numba

    from fastnn.training import block_size

    return max(1, min(numba.get_num_threads(), -(-case.n_samples // block_size(case.sizes, np.float64))))


def limit_us(case, peaks):
    """Microseconds per iteration at the machine's peaks, on the cores fastnn uses."""
    flops, transcendentals = work(case)
    peak_flops, peak_transcendentals = peaks
    return (flops / peak_flops + transcendentals / peak_transcendentals) / cores_used(case) * 1e6


# --- measuring

def describe(error):
    return f"{type(error).__name__}: {error}"


def run_safely(prepare, iterations):
    """``(seconds, costs, error)`` of one run: the call ``prepare(iterations)`` returns is timed, the
    set-up is not. A failing implementation is reported, never stops the script."""
    try:
        call = prepare(iterations)
        began = time.perf_counter()
        costs = call()
        return time.perf_counter() - began, np.asarray(costs, np.float64), None
    except Exception as error:  # noqa: BLE001 - any failure of a competitor is a result to report
        return None, None, describe(error)


def measure(problem, dtype, runners, iterations, repeats):
    """Median microseconds per iteration, final cost and first-run overhead of each runner.

    Returns ``{name: {"us", "cost", "overhead"} or {"error"}}``. Runs are interleaved: one of each
    per round, each from the initial weights, after a warm-up round (compilation, caches) that is
    timed apart.
    """
    results, prepares = {}, {}
    for runner in runners:
        try:
            prepares[runner.name] = runner.prepare(problem, dtype)
        except Exception as error:  # noqa: BLE001
            results[runner.name] = {"error": describe(error)}
            continue
        seconds, _, error = run_safely(prepares[runner.name], iterations)
        results[runner.name] = {"error": error} if error else {"first": seconds, "times": []}
    for _ in range(repeats):
        for name, prepare in prepares.items():
            result = results[name]
            if "error" in result:
                continue
            seconds, costs, error = run_safely(prepare, iterations)
            if error:
                results[name] = {"error": error}
                continue
            result["times"].append(seconds)
            result["cost"] = float(costs[-1])
    for result in results.values():
        if "error" not in result:
            median = float(np.median(result.pop("times")))
            result["us"] = median / iterations * 1e6
            result["overhead"] = result.pop("first") - median
    return results


def iterations_for(problem, seconds):
    """Iterations for which one reference run (float64) takes about ``seconds``."""
    probe = max(2, int(2000 / problem.case.n_samples))
    elapsed = best_time(Competitor("reference", "reference_fit").prepare(problem, np.float64)(probe), 1)
    return int(max(probe, min(20000, seconds * probe / elapsed)))


def start_up_times():
    """Seconds for a cold process (empty numba cache: compiles) and a warm one (loads the cache),
    each importing fastnn and running a first small fit."""
    code = ("import time; t = time.perf_counter(); import fastnn; "
            "X, Y = fastnn.datasets.moons(500, 0.25, seed=0); fastnn.fit(X, Y, 0.5, 5, 10); "
            "print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        return [float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     check=True).stdout) for _ in ("cold", "warm")]


# --- reporting

def dtype_label(dtype):
    return "f64" if dtype == np.float64 else "f32"


def time_table(rows, names, markdown=False):
    """The table: per case and dtype, fastnn's time, the limit, and every other's time and ratio."""
    others = [name for name in names if name != "fastnn"]
    header = ["case", "dtype", "iters", "fastnn us", "limit us", "fastnn/limit"] + \
             [f"{name} us (x fastnn)" for name in others]
    lines = []
    for row in rows:
        r = row["results"]
        ours = r["fastnn"].get("us")
        cells = [row["case"].label, dtype_label(row["dtype"]), str(row["iterations"])]
        cells += [f"{ours:.1f}" if ours else "failed", f"{row['limit']:.1f}",
                  f"{ours / row['limit']:.1f}x" if ours else "-"]
        for name in others:
            us = r[name].get("us")
            cells.append("failed" if us is None else f"{us:.1f} ({us / ours:.1f}x)" if ours else f"{us:.1f}")
        lines.append(cells)
    return render(header, lines, markdown)


def cost_table(rows, names, markdown=False):
    """Final cost of every run (after the same iterations from the same start)."""
    header = ["case", "dtype", "iters"] + list(names)
    lines = [[row["case"].label, dtype_label(row["dtype"]), str(row["iterations"])]
             + [f"{row['results'][name]['cost']:.10f}" if "cost" in row["results"][name] else "failed"
                for name in names] for row in rows]
    return render(header, lines, markdown)


def render(header, lines, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return "\n".join(out + ["| " + " | ".join(cells) + " |" for cells in lines])
    widths = [max(len(cells[i]) for cells in [header] + lines) for i in range(len(header))]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(header)] + [fmt(cells) for cells in lines])


def plot(rows, names, path):
    """Log-log plot of microseconds per iteration against N, one panel a dtype, for the plot network
    (or, when it was not measured, the network measured at the most sizes)."""
    try:
        import matplotlib
    except ImportError:
        return "skipped (matplotlib not installed: pip install fastnn-numba[plot])"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = {}
    for row in rows:
        sizes.setdefault(row["case"].hidden, set()).add(row["case"].n_samples)
    hidden = PLOT_HIDDEN if PLOT_HIDDEN in sizes else max(sizes, key=lambda h: len(sizes[h]))
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    for ax, dtype in zip(axes, DTYPES):
        chosen = sorted((row for row in rows if row["dtype"] == dtype and row["case"].hidden == hidden),
                        key=lambda row: row["case"].n_samples)
        n = [row["case"].n_samples for row in chosen]
        for name in names:
            points = [(x, row["results"][name]["us"]) for x, row in zip(n, chosen) if "us" in row["results"][name]]
            if points:
                ax.plot(*zip(*points), marker="o", label=name, linewidth=2.5 if name == "fastnn" else 1.2)
        ax.plot(n, [row["limit"] for row in chosen], "k--", label="limit (machine peaks)")
        ax.set(xscale="log", yscale="log", xlabel="N (samples)", title=f"{np.dtype(dtype).name}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("microseconds per iteration")
    axes[0].legend(fontsize=8)
    network = "-".join(map(str, (2,) + hidden + (1,)))
    fig.suptitle(f"full-batch gradient descent, network {network}, tanh: time per iteration against N")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"written to {path}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two small cases, short runs")
    parser.add_argument("--cases", help="comma-separated N:hidden cases, e.g. 500:5,2000:64x64 (default: "
                                        "the core issue's table and the plot's sizes)")
    parser.add_argument("--only", help="comma-separated implementations to run (fastnn always runs)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per case (default 5)")
    parser.add_argument("--seconds", type=float, default=0.3, help="target duration of one reference run")
    parser.add_argument("--plot", default=str(DEFAULT_PLOT), help="PNG to write (default %(default)s)")
    parser.add_argument("--markdown", help="also write both tables as Markdown to this file")
    parser.add_argument("--no-startup", action="store_true", help="skip the cold/warm start-up measurement")
    parser.add_argument("--steady", action="store_true",
                        help="also time fastnn with both twins compiled by hand (a process that has trained a while)")
    args = parser.parse_args(argv)
    if args.cases:
        cases = [Case.parse(text) for text in args.cases.split(",")]
    else:
        cases = QUICK_CASES if args.quick else CASES + [case for case in PLOT_CASES if case not in CASES]
    repeats, seconds = (3, 0.05) if args.quick else (args.repeats, args.seconds)

    import numba

    runners, names = [], []
    wanted = set(args.only.split(",")) | {"fastnn"} if args.only else None
    for runner in COMPETITORS:
        if runner.name == "fastnn steady" and not args.steady:
            continue
        if wanted is not None and not any(runner.name.startswith(name) for name in wanted):
            continue
        reason = runner.unavailable()
        if reason:
            print(f"{runner.name}: skipped ({reason})")
        else:
            runners.append(runner)
            names.append(runner.name)
    print(f"fastnn {fastnn.__version__}, numba {numba.__version__} ({numba.get_num_threads()} threads), "
          f"numpy {np.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"activation tanh, lr {LEARNING_RATE}, cost every iteration")
    peaks = {}
    for dtype in DTYPES:
        flops, transcendentals, details = machine_peaks(dtype)
        peaks[dtype] = (flops, transcendentals)
        print(f"single-core peaks, {details}")

    rows = []
    for case in cases:
        problem = Problem.make(case)
        iterations = iterations_for(problem, seconds)
        for dtype in DTYPES:
            results = measure(problem, dtype, runners, iterations, repeats)
            rows.append(dict(case=case, dtype=dtype, iterations=iterations, results=results,
                             limit=limit_us(case, peaks[dtype])))
            print(f"  measured {case.label} {dtype_label(dtype)}", file=sys.stderr, flush=True)

    print("\nmicroseconds per iteration (medians of interleaved runs); (Nx) = that many times slower than fastnn;")
    print("limit = FLOPs at matmul peak + transcendentals at the fastest tanh, on the cores fastnn uses")
    print(time_table(rows, names))
    print("\nfinal cost after the timed iterations (same data, same start, so the columns agree)")
    print(cost_table(rows, names))
    for dtype in DTYPES:
        spread = [abs(row["results"][name]["cost"] - row["results"]["fastnn"]["cost"])
                  for row in rows if row["dtype"] == dtype for name in names
                  if "cost" in row["results"][name] and "cost" in row["results"]["fastnn"]]
        if spread:
            print(f"{np.dtype(dtype).name}: final costs agree with fastnn's to {max(spread):.0e}")
    for row in rows:
        for name, result in row["results"].items():
            if "error" in result:
                print(f"{name} failed on {row['case'].label} {dtype_label(row['dtype'])}: {result['error']}")
    overheads = {name: max(row["results"][name]["overhead"] for row in rows if "overhead" in row["results"][name])
                 for name in names if any("overhead" in row["results"][name] for row in rows)}
    print("first-run overhead (compile or cache load) beyond a timed run, max over cases: "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in overheads.items()))
    if not args.no_startup:
        cold, warm = start_up_times()
        print(f"start-up of a new process (import fastnn + first fit): cold (compiling) {cold:.1f} s, "
              f"warm (numba cache) {warm:.2f} s")
    print(f"plot: {plot(rows, names, args.plot)}")
    if args.markdown:
        Path(args.markdown).write_text(time_table(rows, names, markdown=True) + "\n\n"
                                       + cost_table(rows, names, markdown=True) + "\n")
        print(f"markdown tables written to {args.markdown}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
