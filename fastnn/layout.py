"""The flat parameter buffer: where each layer's weights live, and conversion to the seeds' dict.

Layer l = 1..L stores ``W_l`` (``sizes[l]`` x ``sizes[l-1]``, row-major) and then ``b_l``
(``sizes[l]``), one layer after another: the layout every kernel walks
(``fastnn.kernels.network``). Gradients and optimizer state are buffers of the same layout.
"""
import numpy as np


class Layout:
    """Offsets of ``W_l`` and ``b_l`` in the flat buffer of a network with layer ``sizes``."""

    def __init__(self, sizes):
        self.sizes = tuple(int(n) for n in sizes)
        self.n_layers = len(self.sizes) - 1
        self.weight_slices = []
        self.bias_slices = []
        offset = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            self.weight_slices.append(slice(offset, offset + n_out * n_in))
            offset += n_out * n_in
            self.bias_slices.append(slice(offset, offset + n_out))
            offset += n_out
        self.n_params = offset

    def weights(self, theta, layer):
        """View of ``W_layer`` (layer counted from 1) in ``theta``, shape (n_layer, n_{layer-1})."""
        return theta[self.weight_slices[layer - 1]].reshape(self.sizes[layer], self.sizes[layer - 1])

    def biases(self, theta, layer):
        """View of ``b_layer`` in ``theta``, shape (n_layer,)."""
        return theta[self.bias_slices[layer - 1]]

    def to_dict(self, theta):
        """The seeds' dict ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``, as copies."""
        params = {}
        for layer in range(1, self.n_layers + 1):
            params[f"W{layer}"] = self.weights(theta, layer).copy()
            params[f"b{layer}"] = self.biases(theta, layer).reshape(-1, 1).copy()
        return params

    def from_dict(self, params, dtype):
        """A new flat buffer of ``dtype`` holding ``params`` (the seeds' dict), checked for this layout.

        Raises ValueError naming the entry that is missing, of the wrong shape or not finite.
        """
        if not isinstance(params, dict):
            raise ValueError(f"params must be a dict of W1, b1, W2, b2, ... arrays, got {type(params).__name__}")
        expected = {f"W{l}" for l in range(1, self.n_layers + 1)} | {f"b{l}" for l in range(1, self.n_layers + 1)}
        if set(params) != expected:
            raise ValueError(f"params has keys {sorted(map(repr, params))}, but a network with layer sizes {self.sizes} "
                             f"needs exactly {sorted(expected)}")
        theta = np.empty(self.n_params, dtype)
        for layer in range(1, self.n_layers + 1):
            n_out, n_in = self.sizes[layer], self.sizes[layer - 1]
            for name, shape, view in ((f"W{layer}", (n_out, n_in), self.weights(theta, layer)),
                                      (f"b{layer}", (n_out, 1), self.biases(theta, layer))):
                value = np.asarray(params[name])
                if value.shape != shape:
                    raise ValueError(f"params[{name!r}] has shape {value.shape}, but layer sizes {self.sizes} "
                                     f"need {shape}")
                if not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
                    raise ValueError(f"params[{name!r}] must hold real numbers, got dtype {value.dtype}")
                if not np.all(np.isfinite(value)):
                    raise ValueError(f"params[{name!r}] contains NaN or inf")
                view[...] = value.reshape(view.shape)
        return theta


def sizes_from_params(params):
    """Layer sizes ``(n_0, ..., n_L)`` read off the shapes of ``W1 .. WL`` in a seeds' dict."""
    if not isinstance(params, dict) or "W1" not in params:
        raise ValueError("params must be a dict of W1, b1, W2, b2, ... arrays")
    if not all(isinstance(key, str) for key in params):
        raise ValueError(f"params' keys must be the names W1, b1, W2, b2, ..., got {sorted(map(repr, params))}")
    n_layers = sum(1 for key in params if key.startswith("W"))
    shapes = [np.shape(params.get(f"W{l}")) for l in range(1, n_layers + 1)]
    if any(len(shape) != 2 for shape in shapes):
        raise ValueError(f"params' weights W1..W{n_layers} must be 2-D, got shapes {shapes}")
    return (shapes[0][1],) + tuple(shape[0] for shape in shapes)
