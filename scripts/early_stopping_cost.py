"""What ``early_stopping=True`` adds to an epoch of fastnn's MLPClassifier, against what its
validation pass costs (issue 22's floor: at most the validation pass).

For each case (the seeds' network on moons; scikit-learn's defaults on make_classification), in
one process, interleaved, medians of ``--rounds``, each epoch as ``(fit of E epochs - fit of 1
epoch) / (E - 1)``, so that a fit's setup cancels:

- ``plain``: an epoch without early stopping, on as many samples as the split leaves for training;
- ``early``: an epoch with it (``scoring=None``, scikit-learn's accuracy), and ``pass``, the part
  of it spent in the validation pass (prediction kernel, score, validation loss, best-weights
  copy: the stopping bookkeeping, timed inside the fit);
- ``early_loss``, ``pass_loss``: the same with ``scoring="loss"`` (no accuracy_score);
- ``loss``: what the validation loss alone costs (``scoring.validation_loss`` on the pass's outputs).

    python scripts/early_stopping_cost.py [--rounds 7]
"""
import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_moons

import fastnn
from fastnn.estimators import scoring
from fastnn.estimators.network import Network

CASES = {
    "seeds": (lambda: make_moons(n_samples=2000, noise=0.25, random_state=0),
              dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, momentum=0.0,
                   learning_rate_init=0.6, alpha=0.0, shuffle=False), 300),
    "defaults": (lambda: make_classification(n_samples=5000, n_features=20, random_state=0), {}, 20),
}


class Timed(fastnn.MLPClassifier):
    """fastnn's MLPClassifier, timing its validation passes (the stopping bookkeeping)."""

    def _update_no_improvement_count(self, *args):
        began = time.perf_counter()
        super()._update_no_improvement_count(*args)
        self.pass_seconds_ += time.perf_counter() - began


def fit_seconds(X, y, params, epochs, **kwargs):
    """``(seconds of the fit, seconds of its validation passes)``."""
    model = Timed(**params, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=0, **kwargs)
    model.pass_seconds_ = 0.0
    began = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - began
    assert model.n_iter_ == epochs
    return seconds, model.pass_seconds_


def loss_seconds(X, y, params, repeats=50):
    """Seconds of ``scoring.validation_loss`` alone, on a fitted model's validation outputs."""
    model = fastnn.MLPClassifier(**params, max_iter=2, random_state=0).fit(X, y)
    network = Network([X.shape[1], *model.hidden_layer_sizes, 1], model.activation, model.out_activation_, X.dtype)
    theta = network.pack(model.coefs_, model.intercepts_)
    validation = scoring.ValidationSet(X, y, model._label_binarizer.transform(y).astype(bool), None, X.dtype)
    output, _ = network.predict(theta, validation.X_kernel)
    began = time.perf_counter()
    for _ in range(repeats):
        scoring.validation_loss(model, output, validation, theta, network.net.sizes)
    return (time.perf_counter() - began) / repeats


def run(case, rounds):
    make, params, epochs = CASES[case]
    X, y = make()
    n_val = int(np.ceil(0.1 * len(X)))  # what train_test_split holds out at validation_fraction=0.1
    X_train, y_train = X[n_val:], y[n_val:]
    variants = {"plain": (X_train, y_train, {}), "early": (X, y, dict(early_stopping=True)),
                "early_loss": (X, y, dict(early_stopping=True, scoring="loss"))}
    for X_fit, y_fit, kwargs in variants.values():  # warm the kernels
        fit_seconds(X_fit, y_fit, params, 2, **kwargs)
    times = {key: [] for key in ("plain", "early", "early_loss", "pass", "pass_loss", "loss")}
    for _ in range(rounds):
        for key, (X_fit, y_fit, kwargs) in variants.items():
            long, long_pass = fit_seconds(X_fit, y_fit, params, epochs, **kwargs)
            short, short_pass = fit_seconds(X_fit, y_fit, params, 1, **kwargs)
            times[key].append((long - short) / (epochs - 1))
            if key != "plain":
                times["pass" + key[5:]].append((long_pass - short_pass) / (epochs - 1))
        times["loss"].append(loss_seconds(X[:n_val], y[:n_val], params))
    us = {key: float(np.median(value)) * 1e6 for key, value in times.items()}
    print(f"{case}: epoch {us['plain']:.1f} us without early stopping, on the {len(X_train)} training samples;")
    for key, name in (("", "scoring=None"), ("_loss", "scoring='loss'")):
        extra = us["early" + key] - us["plain"]
        print(f"  {name:15s} epoch {us['early' + key]:8.1f} us: +{extra:7.1f} us, of which the validation pass "
              f"{us['pass' + key]:7.1f} us; (extra - pass) / plain epoch = "
              f"{(extra - us['pass' + key]) / us['plain']:+.2f}, extra / pass = {extra / us['pass' + key]:.2f}")
    print(f"  the validation loss alone, on {n_val} samples: {us['loss']:.1f} us")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for case in CASES:
        run(case, args.rounds)


if __name__ == "__main__":
    main()
