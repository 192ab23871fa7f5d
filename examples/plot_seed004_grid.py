"""
Seed 004's grid, reduced
========================

Seed 004 chose its network by a grid: every hidden size, activation, learning rate and iteration
count, trained on 80 % of the moons and checked on the other 20 %; then the fastest configuration
whose training accuracy passes 95 % with a train-dev gap of at most one point.

**This page runs a reduced grid**, so that the docs build in seconds: 4 hidden sizes (1, 3, 5, 10)
of the seed's 7, 2 activations (tanh, relu) of 3, 3 learning rates (1.2, 0.6, 0.1) of 5, and
iteration counts 100, 1,000 and 5,000 instead of up to 100,000 (the grid of ``fastnn sweep
--quick``): 72 rows instead of 420. ``fastnn.sweep`` with its defaults runs the seed's full grid.
"""
import fastnn

X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
table = fastnn.sweep(X[:, :1600], Y[:, :1600], X[:, 1600:], Y[:, 1600:],
                     hidden_sizes=(1, 3, 5, 10), activations=("tanh", "relu"),
                     learning_rates=(1.2, 0.6, 0.1), iterations=(100, 1_000, 5_000), progress=False)
print(f"{len(table)} rows")

# %%
# The seed's filter, fastest first.
chosen = fastnn.select(table, min_accuracy=95, max_gap=1)
for row in list(chosen)[:5]:
    print(f"hidden {row['hidden_size']:>2}, {row['activation']:>4}, lr {row['learning_rate']:<4}, "
          f"{row['iterations']:>5} iterations: train {row['train_accuracy']:.1f} %, "
          f"dev {row['dev_accuracy']:.1f} %, {row['time'] * 1e3:.1f} ms")

# %%
# Every row: train against dev accuracy, and accuracy against training time, the selected
# configuration circled (``fastnn.plot.sweep_scatter``).
figure = fastnn.plot.sweep_scatter(table, selected=chosen[0] if chosen else None)
