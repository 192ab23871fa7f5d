"""The seeds' figures: decision boundaries (seeds 000, 003), cost curves (001), activations (002)
and a sweep's accuracy and time (004).

Each function returns a ``matplotlib.figure.Figure`` and, given ``path``, also saves it there as a
PNG. Figures are made without ``pyplot``, so they never open a window or depend on a display.
matplotlib is an optional dependency: ``pip install 'fastnn-numba[plot]'``.
"""
try:
    from matplotlib.figure import Figure
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("fastnn.plot needs matplotlib: pip install 'fastnn-numba[plot]'") from error

import numpy as np

from . import reference, validation
from .functional import predict_proba
from .layout import sizes_from_params

#: Two colours for the two classes, as in the seeds' red and blue moons.
CLASS_COLOURS = ("#d62728", "#1f77b4")


def decision_boundary(X, Y, params, activation="tanh", leak=0.01, *, title=None, resolution=300, path=None):
    """The data ``X`` (2, m) coloured by label ``Y``, over the network's probability of class 1, with
    the decision boundary (probability 0.5) drawn as a line."""
    X = validation.as_matrix(X, "X", np.float64)
    if X.shape[0] != 2:
        raise ValueError(f"decision_boundary draws 2 features, X has {X.shape[0]}")
    Y = validation.binary_labels(Y, X.shape[1], np.float64)[0]
    if sizes_from_params(params)[0] != 2:
        raise ValueError("decision_boundary needs a network with 2 inputs")
    low, high = X.min(axis=1), X.max(axis=1)
    margin = 0.1 * (high - low) + 1e-9
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    proba = predict_proba(np.vstack([gx.ravel(), gy.ravel()]), params, activation, leak).reshape(gx.shape)

    figure = Figure(figsize=(6, 5), layout="constrained")
    ax = figure.add_subplot()
    shading = ax.contourf(gx, gy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.5)
    ax.contour(gx, gy, proba, levels=[0.5], colors="black", linewidths=1.5)
    for label, colour in enumerate(CLASS_COLOURS):
        mask = Y == label
        ax.scatter(X[0, mask], X[1, mask], s=12, c=colour, edgecolors="white", linewidths=0.3, label=f"y = {label}")
    figure.colorbar(shading, ax=ax, label="P(y = 1)")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title or f"decision boundary, hidden {sizes_from_params(params)[1:-1]}")
    ax.legend(loc="upper right")
    return _finish(figure, path)


def cost_curve(costs, *, title="cost per iteration", log=False, path=None):
    """The cost of every iteration; ``costs`` is one array or a dict ``label -> array`` (several curves)."""
    curves = costs if isinstance(costs, dict) else {None: costs}
    if not curves:
        raise ValueError("cost_curve needs at least one curve")
    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.add_subplot()
    for label, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"costs must be non-empty 1-D arrays, got shape {values.shape}")
        ax.plot(np.arange(values.size), values, label=label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="cost (binary cross-entropy)", title=title)
    if len(curves) > 1 or None not in curves:
        ax.legend()
    return _finish(figure, path)


def activations(names=None, *, leak=0.1, path=None):
    """Every hidden activation (or those ``names``) and its derivative on [-5, 5], one panel each."""
    names = sorted(reference.ACTIVATIONS) if names is None else list(names)
    for name in names:
        validation.choice(name, "activation", reference.ACTIVATIONS)
    z = np.linspace(-5, 5, 401)
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(4 * columns, 3 * rows), layout="constrained")
    for index, name in enumerate(names):
        g, g_prime = reference.ACTIVATIONS[name]
        a = g(z, leak)
        ax = figure.add_subplot(rows, columns, index + 1)
        ax.plot(z, a, label="g(z)")
        ax.plot(z, g_prime(z, a, leak), "--", label="g'(z)")
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.set(title=name if name != "leaky_relu" else f"leaky_relu (leak {leak})", xlabel="z")
        ax.legend(loc="upper left")
    return _finish(figure, path)


def sweep_scatter(table, *, selected=None, min_accuracy=95, max_gap=1, path=None):
    """A sweep's rows (a ``SweepTable`` or its DataFrame): train vs dev accuracy, and train accuracy vs
    training time, coloured by activation, with seed 004's filter shaded and ``selected`` (a row,
    e.g. ``fastnn.select(table)[0]``) circled. Diverged rows are left out and counted in the title."""
    rows = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    if not rows:
        raise ValueError("sweep_scatter needs a table with at least one row")
    kept = [row for row in rows if not row["diverged"]]
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for activation in sorted({row["activation"] for row in kept}):
        group = [row for row in kept if row["activation"] == activation]
        train = np.array([row["train_accuracy"] for row in group])
        dev = np.array([row["dev_accuracy"] for row in group])
        seconds = np.array([row["time"] for row in group])
        left.scatter(train, dev, s=14, alpha=0.7, label=activation)
        right.scatter(np.maximum(seconds, 1e-6), train, s=14, alpha=0.7, label=activation)
    lo = min([min(row["train_accuracy"], row["dev_accuracy"]) for row in kept], default=0.0)
    left.plot([lo, 100], [lo, 100], color="grey", linewidth=0.5)
    m, g = min_accuracy, max_gap  # the filter's region: train > m, |train - dev| <= g
    left.fill([m, 100, 100, max(m, 100 - g), m], [m - g, 100 - g, 100, 100, min(100, m + g)], color="green", alpha=0.15,
              label=f"train > {min_accuracy:g} %, gap <= {max_gap:g}")
    if selected is not None:
        left.scatter([selected["train_accuracy"]], [selected["dev_accuracy"]], s=150, facecolors="none",
                     edgecolors="black", linewidths=1.5, label="selected")
        right.scatter([max(selected["time"], 1e-6)], [selected["train_accuracy"]], s=150, facecolors="none",
                      edgecolors="black", linewidths=1.5, label="selected")
    left.set(xlabel="train accuracy (%)", ylabel="dev accuracy (%)", title="accuracy")
    right.axhline(min_accuracy, color="green", linewidth=0.8, linestyle="--")
    right.set(xscale="log", xlabel="training time (s)", ylabel="train accuracy (%)", title="accuracy and time")
    left.legend(loc="lower right", fontsize="small")
    right.legend(loc="lower right", fontsize="small")
    figure.suptitle(f"{len(rows)} rows, {len(rows) - len(kept)} diverged")
    return _finish(figure, path)


def _finish(figure, path):
    if path is not None:
        figure.savefig(path, format="png", dpi=100)
    return figure
