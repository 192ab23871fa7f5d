"""ONNX export of fastnn's MLPClassifier and MLPRegressor through skl2onnx (``pip install fastnn-numba[onnx]``).

Importing this module registers both classes with skl2onnx (``register()`` does it again, e.g.
after another library overwrote the registration), so that ``skl2onnx.to_onnx(model, X[:1])``
converts a fitted fastnn model, alone or inside a Pipeline. The graph is skl2onnx's own for
scikit-learn's MLP: its classifier converter (with its options ``zipmap``, ``nocl``,
``output_class_labels``) and its forward pass for the regressor, to which this module adds what
skl2onnx's regressor lacks: ``loss='poisson'`` (an ``Exp`` output) and several outputs (shape
``(n, n_outputs)``; skl2onnx's gives ``(n * n_outputs, 1)``). The activations ONNX's MLP
converter does not know, fastnn's ``leaky_relu`` and ``arctan``, raise a ValueError.
"""
import types

from skl2onnx import update_registered_converter
from skl2onnx.common._apply_operation import apply_reshape
from skl2onnx.common.data_types import guess_proto_type
from skl2onnx.operator_converters.multilayer_perceptron import _predict, convert_sklearn_mlp_classifier
from skl2onnx.proto import onnx_proto
from skl2onnx.shape_calculators.linear_classifier import calculate_linear_classifier_output_shapes
from skl2onnx.shape_calculators.linear_regressor import calculate_linear_regressor_output_shapes

from .estimators import MLPClassifier, MLPRegressor

#: The hidden activations skl2onnx's MLP converter writes.
ONNX_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]}


def _check_activation(model):
    if model.activation not in ONNX_ACTIVATIONS:
        raise ValueError(f"fastnn.onnx cannot export activation={model.activation!r}: skl2onnx's MLP converter "
                         f"knows {list(ONNX_ACTIVATIONS)}.")


def convert_classifier(scope, operator, container):
    """skl2onnx's MLPClassifier converter, after checking the activation."""
    _check_activation(operator.raw_operator)
    convert_sklearn_mlp_classifier(scope, operator, container)


def regressor_output_shapes(operator):
    """skl2onnx's regressor shapes, with ``n_outputs_`` columns."""
    calculate_linear_regressor_output_shapes(operator)
    output = operator.outputs[0]
    output.type = output.type.__class__([operator.inputs[0].get_first_dimension(), operator.raw_operator.n_outputs_])


def convert_regressor(scope, operator, container):
    """skl2onnx's MLP forward pass up to the output layer's sum, then ``Exp`` for the Poisson
    loss, reshaped to ``(n_samples, n_outputs)``."""
    model = operator.raw_operator
    _check_activation(model)
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    layers = types.SimpleNamespace(n_layers_=model.n_layers_, coefs_=model.coefs_, intercepts_=model.intercepts_,
                                   activation=model.activation, out_activation_="identity")
    output = _predict(scope, operator.inputs[0].full_name, container, layers, proto_dtype)
    if model.out_activation_ == "exp":
        exp_output = scope.get_unique_variable_name("exp_output")
        container.add_node("Exp", output, exp_output, name=scope.get_unique_operator_name("Exp"))
        output = exp_output
    apply_reshape(scope, output, operator.outputs[0].full_name, container, desired_shape=(-1, model.n_outputs_))


def register():
    """Register fastnn's MLPClassifier and MLPRegressor with skl2onnx (done on import)."""
    update_registered_converter(MLPClassifier, "FastnnMLPClassifier", calculate_linear_classifier_output_shapes,
                                convert_classifier, options=CLASSIFIER_OPTIONS)
    update_registered_converter(MLPRegressor, "FastnnMLPRegressor", regressor_output_shapes, convert_regressor)


register()
