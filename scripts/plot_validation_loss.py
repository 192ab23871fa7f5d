"""The README's figure: training and validation loss curves of one fit with early stopping.

A network too large for 200 noisy moons, trained with ``scoring="loss"`` and a patience long enough
to watch the validation loss turn up while the training loss goes on down; the weights kept are
those of the lowest validation loss.

    python scripts/plot_validation_loss.py [docs/early_stopping/validation_loss.png]
"""
import sys
import warnings

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import make_moons

import fastnn


def main(path="docs/early_stopping/validation_loss.png"):
    X, y = make_moons(n_samples=200, noise=0.4, random_state=0)
    model = fastnn.MLPClassifier(hidden_layer_sizes=(200, 200), learning_rate_init=0.003, max_iter=600, alpha=0.0,
                                 early_stopping=True, validation_fraction=0.3, scoring="loss", n_iter_no_change=200,
                                 random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    epochs = np.arange(1, model.n_iter_ + 1)
    best = int(np.argmin(model.validation_loss_curve_)) + 1
    figure = Figure(figsize=(5.5, 3.2), dpi=100, layout="tight")
    axes = figure.subplots()
    axes.plot(epochs, model.loss_curve_, label="loss_curve_ (training)")
    axes.plot(epochs, model.validation_loss_curve_, label="validation_loss_curve_")
    axes.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best}), weights kept")
    axes.set_xlabel("epoch")
    axes.set_ylabel("log-loss")
    axes.legend(frameon=False)
    figure.savefig(path)
    print(f"{path}: {model.n_iter_} epochs, best validation loss {min(model.validation_loss_curve_):.4f} "
          f"at epoch {best}")


if __name__ == "__main__":
    main(*sys.argv[1:])
