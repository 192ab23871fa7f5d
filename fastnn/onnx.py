"""ONNX export of fastnn's MLPClassifier and MLPRegressor through skl2onnx (``pip install fastnn-numba[onnx]``).

Importing this module registers both classes with skl2onnx (``register()`` does it again, e.g.
after another library overwrote the registration), so that ``skl2onnx.to_onnx(model, X[:1])``
converts a fitted fastnn model, alone or inside a Pipeline.

The hidden layers are written here (MatMul, Add and the activation's ONNX operator, which covers
fastnn's ``leaky_relu`` and ``arctan`` as well as scikit-learn's four); the classifier's output
layer, probabilities and labels are skl2onnx's own MLPClassifier converter, given the last hidden
layer as its input and the output layer as a one-layer model, so its options (``zipmap``,
``nocl``, ``output_class_labels``) work as for scikit-learn's MLP. The regressor's output is
written here too, with what skl2onnx's MLPRegressor converter lacks: ``loss='poisson'`` (an
``Exp`` output) and several outputs (shape ``(n, n_outputs)``).
"""
import types

from skl2onnx import update_registered_converter
from skl2onnx.common._apply_operation import apply_add, apply_cast, apply_reshape
from skl2onnx.common.data_types import guess_proto_type
from skl2onnx.operator_converters.multilayer_perceptron import convert_sklearn_mlp_classifier
from skl2onnx.proto import onnx_proto
from skl2onnx.shape_calculators.linear_classifier import calculate_linear_classifier_output_shapes
from skl2onnx.shape_calculators.linear_regressor import calculate_linear_regressor_output_shapes

from .estimators import MLPClassifier, MLPRegressor
from .estimators.network import HIDDEN_ACTIVATIONS, LEAK
from .kernels import activations as kernel

#: Activation kernel code -> (ONNX operator, its attributes).
ONNX_OPERATORS = {kernel.IDENTITY: ("Identity", {}), kernel.SIGMOID: ("Sigmoid", {}), kernel.TANH: ("Tanh", {}),
                  kernel.RELU: ("Relu", {}), kernel.LEAKY_RELU: ("LeakyRelu", {"alpha": LEAK}),
                  kernel.ARCTAN: ("Atan", {})}

#: The estimators' hidden activation names -> (ONNX operator, its attributes).
ONNX_ACTIVATIONS = {name: ONNX_OPERATORS[code] for name, code in HIDDEN_ACTIVATIONS.items()}

CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]}


def _proto_dtype(operator):
    """float64 graphs for float64 inputs, float32 for any other (skl2onnx's rule for its MLP)."""
    dtype = guess_proto_type(operator.inputs[0].type)
    return dtype if dtype == onnx_proto.TensorProto.DOUBLE else onnx_proto.TensorProto.FLOAT


def _layer(scope, container, name, coef, intercept, proto_dtype):
    """``name @ coef + intercept``; returns the result's name."""
    coef_name = scope.get_unique_variable_name("coefficient")
    intercept_name = scope.get_unique_variable_name("intercepts")
    container.add_initializer(coef_name, proto_dtype, coef.shape, coef.ravel())
    container.add_initializer(intercept_name, proto_dtype, [1, len(intercept)], intercept)
    product, total = scope.get_unique_variable_name("mul_result"), scope.get_unique_variable_name("add_result")
    container.add_node("MatMul", [name, coef_name], product, name=scope.get_unique_operator_name("MatMul"))
    apply_add(scope, [product, intercept_name], total, container, broadcast=1)
    return total


def _hidden_layers(scope, container, operator, proto_dtype):
    """The input cast to the graph's dtype, then every hidden layer; returns the last one's name."""
    model = operator.raw_operator
    name = scope.get_unique_variable_name("cast_input")
    apply_cast(scope, operator.inputs[0].full_name, name, container, to=proto_dtype)
    op_type, attributes = ONNX_ACTIVATIONS[model.activation]
    for coef, intercept in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        total = _layer(scope, container, name, coef, intercept, proto_dtype)
        name = scope.get_unique_variable_name("next_activations")
        container.add_node(op_type, total, name, name=scope.get_unique_operator_name(op_type), **attributes)
    return name


def convert_classifier(scope, operator, container):
    """Hidden layers here, then skl2onnx's MLPClassifier converter on the output layer alone."""
    model = operator.raw_operator
    proto_dtype = _proto_dtype(operator)
    hidden = _hidden_layers(scope, container, operator, proto_dtype)
    output_layer = types.SimpleNamespace(n_layers_=2, coefs_=model.coefs_[-1:], intercepts_=model.intercepts_[-1:],
                                         activation="identity", out_activation_=model.out_activation_,
                                         classes_=model.classes_, _label_binarizer=model._label_binarizer)
    # the converter casts its input to the dtype it derives from this type by the same rule: a no-op
    last_hidden = types.SimpleNamespace(full_name=hidden, type=operator.inputs[0].type)
    convert_sklearn_mlp_classifier(scope, types.SimpleNamespace(raw_operator=output_layer, inputs=[last_hidden],
                                                                outputs=operator.outputs), container)


def regressor_output_shapes(operator):
    """skl2onnx's regressor shapes, with ``n_outputs_`` columns."""
    calculate_linear_regressor_output_shapes(operator)
    output = operator.outputs[0]
    output.type = output.type.__class__([operator.inputs[0].get_first_dimension(), operator.raw_operator.n_outputs_])


def convert_regressor(scope, operator, container):
    """Hidden layers, the output layer, ``Exp`` for the Poisson loss, shape ``(n, n_outputs)``."""
    model = operator.raw_operator
    proto_dtype = _proto_dtype(operator)
    hidden = _hidden_layers(scope, container, operator, proto_dtype)
    output = _layer(scope, container, hidden, model.coefs_[-1], model.intercepts_[-1], proto_dtype)
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
