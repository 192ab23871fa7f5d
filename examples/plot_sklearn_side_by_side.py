"""
scikit-learn's "Compare Stochastic learning strategies", on both
================================================================

scikit-learn's gallery example `plot_mlp_training_curves.py
<https://scikit-learn.org/stable/auto_examples/neural_networks/plot_mlp_training_curves.html>`_:
the training loss per epoch of ``MLPClassifier`` under seven learning strategies (SGD with a
constant or inverse-scaling rate, without momentum, with momentum, with Nesterov's momentum, and
Adam) on four small data sets. The left column is scikit-learn's ``MLPClassifier``, the right
column fastnn's, with the same parameters and ``random_state``: the same initial weights, the
same shuffles and the same updates, so the same ``loss_curve_`` up to rounding (the script prints
the largest relative difference). One change, to keep the docs build short: 100 epochs on the
small data sets instead of the original's 400.
"""
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import datasets, neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

import fastnn

params = [
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9, "nesterovs_momentum": False,
     "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9, "nesterovs_momentum": True,
     "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9, "nesterovs_momentum": False,
     "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9, "nesterovs_momentum": True,
     "learning_rate_init": 0.2},
    {"solver": "adam", "learning_rate_init": 0.01},
]
labels = ["constant learning-rate", "constant with momentum", "constant with Nesterov's momentum",
          "inv-scaling learning-rate", "inv-scaling with momentum", "inv-scaling with Nesterov's momentum", "adam"]
plot_args = [{"c": "red", "linestyle": "-"}, {"c": "green", "linestyle": "-"}, {"c": "blue", "linestyle": "-"},
             {"c": "red", "linestyle": "--"}, {"c": "green", "linestyle": "--"}, {"c": "blue", "linestyle": "--"},
             {"c": "black", "linestyle": "-"}]
libraries = {"scikit-learn": neural_network.MLPClassifier, "fastnn": fastnn.MLPClassifier}

iris = datasets.load_iris()
X_digits, y_digits = datasets.load_digits(return_X_y=True)
data_sets = [(iris.data, iris.target), (X_digits, y_digits),
             datasets.make_circles(noise=0.2, factor=0.5, random_state=1), datasets.make_moons(noise=0.3, random_state=0)]
names = ["iris", "digits", "circles", "moons"]

# %%
# Train every strategy with both libraries and draw the loss curves.
fig, axes = plt.subplots(len(data_sets), 2, figsize=(12, 14), layout="constrained")
for row, ((X, y), name) in enumerate(zip(data_sets, names)):
    X = MinMaxScaler().fit_transform(X)
    max_iter = 15 if name == "digits" else 100
    curves = {}
    for ax, (library, MLPClassifier) in zip(axes[row], libraries.items()):
        ax.set_title(f"{name}: {library}")
        curves[library] = []
        for label, param, args in zip(labels, params, plot_args):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=ConvergenceWarning)
                mlp = MLPClassifier(random_state=0, max_iter=max_iter, **param).fit(X, y)
            curves[library].append(np.array(mlp.loss_curve_))
            ax.plot(mlp.loss_curve_, label=label, **args)
    difference = max(np.max(np.abs(a - b) / np.abs(a)) for a, b in zip(*curves.values()))
    print(f"{name:>8}: largest relative difference of the loss curves {difference:.1e}")
axes[0, 0].legend(fontsize="small")
plt.show()
