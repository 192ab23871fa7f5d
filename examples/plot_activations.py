"""
Decision boundaries by activation
=================================

The seeds' experiment: the same network (2 -> 5 -> 1, sigmoid output, binary cross-entropy,
full-batch gradient descent) trained on make_moons with each hidden activation fastnn has, from
the same seed, and each network's probability of class 1 drawn over the plane.
"""
import matplotlib.pyplot as plt
import numpy as np

import fastnn

X, Y = fastnn.datasets.moons(n_samples=1000, noise=0.2, seed=0)
activations = ["tanh", "sigmoid", "relu", "leaky_relu", "arctan"]

# %%
# One fit per activation: 5 hidden units, 5,000 iterations at a learning rate of 0.6 from He
# initial weights (the seeds' ``init="small"``, randn x 0.01, leaves ReLU units dead), seed 0.
fits = {}
for activation in activations:
    params, costs = fastnn.fit(X, Y, learning_rate=0.6, hidden_size=5, iterations=5000,
                               activation=activation, init="he", seed=0)
    accuracy = fastnn.accuracy(Y, fastnn.predict(X, params, activation))
    fits[activation] = params
    print(f"{activation:>10}: cost {costs[-1]:.4f}, training accuracy {accuracy:.1f} %")

# %%
# The probability of class 1 over the plane, and the boundary where it is 0.5.
xs, ys = np.meshgrid(np.linspace(-2, 3, 200), np.linspace(-1.7, 2.2, 200))
grid = np.vstack([xs.ravel(), ys.ravel()])
fig, axes = plt.subplots(1, len(activations), figsize=(15, 3.4), sharey=True, layout="constrained")
for ax, activation in zip(axes, activations):
    proba = fastnn.predict_proba(grid, fits[activation], activation).reshape(xs.shape)
    ax.contourf(xs, ys, proba, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.5)
    ax.contour(xs, ys, proba, levels=[0.5], colors="black", linewidths=1.2)
    ax.scatter(X[0], X[1], c=Y[0], cmap="RdBu", s=6, edgecolors="none")
    ax.set_title(activation)
plt.show()
