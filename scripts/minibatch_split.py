"""One block per minibatch against two blocks on the parallel twin, for the estimators' wide cases.

    python scripts/minibatch_split.py          # cases e, g, h of compare_estimators.py
    python scripts/minibatch_split.py e        # one of them

``MLPClassifier`` fits (adam, batch 200, 3 epochs, 20,000 random samples) run interleaved in one
process, once with every batch one block on the serial twin, once cut in two blocks
(``fastnn.training.minibatch_block``) on the parallel twin; the medians of 3 rounds and their
ratio are printed. The two differ only in the order a batch's gradient is summed.
"""
import sys
import time
import warnings

import numpy as np

import fastnn.engine as engine
from fastnn import MLPClassifier
from fastnn.training import minibatch_block
from fastnn.twins import FasterTwin

CASES = {"e": (784, (100,), 10), "g": (100, (256, 256), 10), "h": (20, (512,), 2)}


def use(two_blocks):
    """Point the estimators' epochs (``fastnn.engine.Epochs``) at one setting: two blocks on the parallel twin, or one on the serial."""
    engine.minibatch_block = minibatch_block if two_blocks else (lambda sizes, batch_size, dtype: batch_size)
    engine.FasterTwin = (lambda serial, parallel, workspace, units: parallel) if two_blocks else FasterTwin


def main(names):
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    for name in names:
        n_features, hidden, n_classes = CASES[name]
        X, y = rng.normal(size=(20000, n_features)), rng.randint(0, n_classes, 20000)
        for two_blocks in (False, True):  # compile, or load from the cache
            use(two_blocks)
            MLPClassifier(hidden, max_iter=1, random_state=0).fit(X[:400], y[:400])
        times = {False: [], True: []}
        for _ in range(3):
            for two_blocks in (False, True):
                use(two_blocks)
                began = time.perf_counter()
                MLPClassifier(hidden, max_iter=3, random_state=0).fit(X, y)
                times[two_blocks].append(time.perf_counter() - began)
        one, two = np.median(times[False]), np.median(times[True])
        print(f"({name}) {n_features} -> {hidden} -> {n_classes}: one block {one:.3f} s, two blocks on two cores "
              f"{two:.3f} s, {one / two:.2f}x", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "egh")
