"""Speed-ups of fastnn.fit over the implementations it replaces, each a ratio measured in one process.

On a shared machine every absolute time moves with the load; a ratio of two interleaved
measurements taken seconds apart moves far less, so these are the figures to trust. Higher is
better (``scripts/perf_gate.py`` knows: benchmarks named ``track_speedup*``).
"""
from .common import DTYPES, by_profile, hidden_sizes, prepared, speedup

CASES = by_profile(["500:5"], ["500:5", "2000:5", "2000:50", "20000:50", "20000:64x64"])


def _case(case):
    """``"2000:64x64"`` -> ``(2000, (64, 64))``."""
    n_samples, hidden = case.split(":")
    return int(n_samples), hidden_sizes(hidden)


#: peer name -> function of ``peers``
PEERS = {"reference": "reference_fit", "sklearn": "sklearn_fit", "jax": "jax_scan"}


class Speedup:
    """fastnn.fit against a peer doing the same training (tanh, same data, same initial weights):
    ``reference`` is ``fastnn.reference.fit``, the seeds' NumPy loop; ``sklearn`` is scikit-learn's
    MLPClassifier on full-batch gradient descent; ``jax`` is a ``jit`` of a ``lax.scan`` of the
    loop (skipped when jax is not installed)."""
    params = [CASES, DTYPES, list(PEERS)]
    param_names = ["case", "dtype", "peer"]
    unit = "times faster"
    peer_seconds = by_profile(0.05, 0.3)  # one run of the peer
    interleaved = by_profile(1, 5)  # rounds of one run each

    def setup(self, case, dtype, peer):
        n_samples, hidden = _case(case)
        self.slow = prepared(PEERS[peer], n_samples, hidden, "tanh", dtype)
        self.fast = prepared("fastnn_fit", n_samples, hidden, "tanh", dtype)

    def track_speedup(self, case, dtype, peer):
        return speedup(self.fast, self.slow, self.peer_seconds, self.interleaved)
