"""Transcendental functions written as plain arithmetic, so that LLVM vectorises them.

numba calls libm once per element: tanh costs ~10-24 ns there, while these cost ~1 ns an element
in a vectorised loop and stay within a few ulp of NumPy (tests/test_vmath.py). Each works for
float64 and float32 (a shorter polynomial for float32). What makes them vectorise:

- no branches, only selects (``a if c else b``) that LLVM turns into blends;
- rounding to an integer by adding and subtracting 1.5 * 2**mantissa_bits, and 2**k built from the
  bits of that sum (:func:`_pow2`): AVX2 has no packed float64 -> int64 conversion;
- clamps written ``hi if x > hi else x`` so that NaN passes through (a NaN must reach the cost,
  where divergence is detected).
"""
import math

import numpy as np
from numba import types
from numba.extending import intrinsic, overload
from numba.np.numpy_support import as_dtype

from .options import EXACT, kernel

# float type -> (integer type of the same width, mantissa bits, exponent bias)
_FORMATS = {types.float64: (types.int64, 52, 1023), types.float32: (types.int32, 23, 127)}


@intrinsic
def _pow2(typingctx, t):
    """2**k as a float, for ``t = 1.5 * 2**mantissa_bits + k`` (k an integer in the exponent range).

    The low bits of ``t``'s mantissa hold ``k``; shifting ``k + bias`` into the exponent field gives
    2**k. Integer adds and shifts vectorise where a float -> int conversion does not.
    """
    if t not in _FORMATS:
        return None
    int_type, mantissa_bits, bias = _FORMATS[t]

    def codegen(context, builder, signature, args):
        ir_int = context.get_value_type(int_type)
        bits = builder.bitcast(args[0], ir_int)
        bits = builder.shl(builder.add(bits, ir_int(bias)), ir_int(mantissa_bits))
        return builder.bitcast(bits, context.get_value_type(t))

    return t(t), codegen


@intrinsic
def _split_exponent(typingctx, x):
    """``(m, k)`` with ``x = m * 2**k``, ``sqrt(1/2) <= m < sqrt(2)`` and ``k`` a float, for x > 0 normal.

    Adding ``1 - sqrt(1/2)`` in the bit domain moves the exponent boundary to sqrt(1/2) (musl's
    log does the same on the high word).
    """
    if x not in _FORMATS:
        return None
    int_type, mantissa_bits, bias = _FORMATS[x]
    width = int_type.bitwidth
    np_float = as_dtype(x).type
    np_int = as_dtype(int_type).type
    one_bits = int(np.array(1.0, np_float).view(np_int))
    sqrt_half_bits = int(np.array(np.sqrt(0.5), np_float).view(np_int))

    def codegen(context, builder, signature, args):
        ir_int = context.get_value_type(int_type)
        ir_float = context.get_value_type(x)
        ir_i32 = context.get_value_type(types.int32)
        bits = builder.add(builder.bitcast(args[0], ir_int), ir_int(one_bits - sqrt_half_bits))
        k = builder.sub(builder.ashr(bits, ir_int(mantissa_bits)), ir_int(bias))
        if width > 32:  # |k| < 2**11: an int32 -> float conversion is exact and vectorises on AVX2
            k = builder.trunc(k, ir_i32)
        k = builder.sitofp(k, ir_float)
        m_bits = builder.add(builder.and_(bits, ir_int((1 << mantissa_bits) - 1)), ir_int(sqrt_half_bits))
        m = builder.bitcast(m_bits, ir_float)
        return context.make_tuple(builder, signature.return_type, [m, k])

    return types.UniTuple(x, 2)(x), codegen


def _pade(degree):
    """Padé [degree/degree] approximant of exp(r) = (E(r^2) + r O(r^2)) / (E(r^2) - r O(r^2)):
    the coefficients of E and of O, lowest power first."""
    c = [math.factorial(2 * degree - j) * math.factorial(degree)
         / (math.factorial(2 * degree) * math.factorial(j) * math.factorial(degree - j)) for j in range(degree + 1)]
    return tuple(c[0::2]), tuple(c[1::2])


# Per float type: rounding shifter, exp's input range (2**k stays a normal number), ln 2 split in
# two so that k * ln2_hi is exact (fdlibm's split; Cephes' for float32), the |x| above which
# tanh(x) rounds to +-1, the Padé approximant of exp on |r| <= ln(2)/2 (error ~1e-19 for [6/6],
# ~6e-9 for [3/3], below each type's epsilon), and log's coefficients Lg1.. (fdlibm e_log.c /
# e_logf.c, in powers of s**2).
_CONSTANTS = {
    types.float64: dict(
        shifter=1.5 * 2.0**52, exp_lo=-708.0, exp_hi=709.0,
        ln2_hi=6.93147180369123816490e-01, ln2_lo=1.90821492927058770002e-10, tanh_one=20.0, pade=_pade(6),
        log=(6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
             2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
             1.479819860511658591e-01)),
    types.float32: dict(
        shifter=1.5 * 2.0**23, exp_lo=-87.0, exp_hi=88.0,
        ln2_hi=0.693359375, ln2_lo=-2.12194440e-4, tanh_one=10.0, pade=_pade(3),
        log=(0.66666662693, 0.40000972152, 0.28498786688, 0.24279078841)),
}

LOG2E = 1.4426950408889634


def _reduction(c, s):
    """The constants of :func:`_exp_parts_by` for exp(s x) (s = 1 or 2), as Python floats: log2(e)
    and ln 2's two parts for the reduction ``s x = k ln 2 + s r``, and the Padé approximant's
    coefficients for powers of ``r**2``, even ones times ``s**2j``, odd ones times ``2 s**(2j+1)``.
    Each is a power of two times the plain one, so every step works on the plain step's value times
    a power of two: the same bits as reducing ``s x`` itself, without computing ``s x``, ``2 r o``
    and ``r o`` apart."""
    even, odd = c["pade"]
    return (s * LOG2E, c["ln2_hi"] / s, c["ln2_lo"] / s, tuple(v * s ** (2 * j) for j, v in enumerate(even)),
            tuple(2 * v * s ** (2 * j + 1) for j, v in enumerate(odd)))


def _constants(x):
    """Typed constants for x's float type, as a tuple (see ``_CONSTANTS``; ``_reduction`` for exp(x)
    and for exp(2 x))."""


@overload(_constants)
def _constants_for(x):
    if x not in _CONSTANTS:
        return None
    c = _CONSTANTS[x]
    t = as_dtype(x).type

    def typed(value):
        return tuple(typed(v) for v in value) if isinstance(value, tuple) else t(value)

    values = (t(c["shifter"]), t(c["exp_lo"]), t(c["exp_hi"]), t(c["ln2_hi"]), t(c["ln2_lo"]), t(c["tanh_one"]),
              typed(_reduction(c, 1)), typed(_reduction(c, 2)), typed(c["log"]))
    return lambda x: values




@kernel(EXACT)
def exp_parts(x):
    """``(n, m, scale)`` with ``exp(x) = scale * (m + n) / m``, i.e. ``expm1(x - k ln 2) = n / m``.

    Cody-Waite reduction ``x = k ln 2 + r``, |r| <= ln(2)/2, ``scale = 2**k``, and the Padé
    approximant of exp(r) written as ``(m + n) / m`` so that expm1(r) = n / m keeps its relative
    accuracy near 0. Returning a ratio leaves the one division to the caller, who usually folds
    it into its own (tanh, sigmoid). x is clamped to where 2**k is normal (exp(-708) ~ 3e-308
    stands in for smaller results).
    """
    _, lo, hi, _, _, _, once, _, _ = _constants(x)
    x = hi if x > hi else x
    x = lo if x < lo else x
    return _exp_parts_by(x, once)


@kernel(EXACT)
def _exp_parts_by(x, reduction):
    """:func:`exp_parts` of ``s x`` for an ``s x`` within exp's clamps, from x and ``reduction``,
    the constants for s (``_constants``: s = 1 for exp, 2 for tanh, whose 2|x| <= 40 needs no
    clamp). tanh skips the clamps (two compares and two blends a value) and the multiplies of
    ``2 x``, ``2 r o`` and ``r o``: the seeds' 2 -> 50 -> 1 iteration ran 7-9 % faster."""
    t_ = type(x)
    shifter = _constants(x)[0]
    log2e, ln2_hi, ln2_lo, even, odd = reduction
    t = x * log2e + shifter
    k = t - shifter
    r = x - k * ln2_hi
    r = r - k * ln2_lo
    r2 = r * r
    e = even[-1]
    for c in even[-2::-1]:
        e = e * r2 + c
    o = odd[-1]
    for c in odd[-2::-1]:
        o = o * r2 + c
    n = r * o
    return n, e - t_(0.5) * n, _pow2(t)


@kernel(EXACT)
def exp(x):
    """e**x, within 2 ulp; results below ~1e-308 (float32: 1e-38) are clamped, not flushed to 0."""
    n, m, scale = exp_parts(x)
    return scale * (m + n) / m


@kernel(EXACT)
def tanh(x):
    """tanh(x) = e / (e + 2) with e = expm1(2|x|), sign restored; within a few ulp, one division."""
    t_ = type(x)
    tanh_one = _constants(x)[5]
    ax = abs(x)
    ax = tanh_one if ax > tanh_one else ax
    n, m, scale = _exp_parts_by(ax, _constants(x)[7])
    e_m = scale * n + (scale - t_(1.0)) * m  # expm1(2|x|) * m
    y = e_m / (e_m + t_(2.0) * m)
    return -y if x < 0 else y


@kernel(EXACT)
def logistic(x):
    """``(sigmoid(x), sigmoid(-x))``, both to full relative accuracy, from one division.

    With e**-x = s / m: sigmoid(x) = m / (m + s), sigmoid(-x) = s / (m + s). exp's clamp keeps
    them finite: no overflow for any x.
    """
    n, m, scale = exp_parts(-x)
    s = scale * (m + n)
    q = type(x)(1.0) / (m + s)
    return m * q, s * q


@kernel(EXACT)
def _log_series(z):
    """fdlibm's ``R(z) = Lg1 z + Lg2 z^2 + ...`` at ``z = u^2``: ``log(1 + f) = 2u + u R(u^2)`` with
    ``u = f / (2 + f)``, for |u| <= 0.1716 (f between sqrt(1/2) - 1 and sqrt(2) - 1)."""
    coeffs = _constants(z)[8]
    r = coeffs[-1]
    for c in coeffs[-2::-1]:
        r = r * z + c
    return r * z


SQRT2_MINUS_1 = 0.41421356237309504880


@kernel(EXACT)
def logistic_softplus(x):
    """``(sigmoid(x), sigmoid(-x), log1p(e**-x))`` for x >= 0, each to full relative accuracy, from two
    divisions: the logistic loss and its derivative at once (-log(sigmoid(x)) is the softplus).

    With e**-x = s / m as in :func:`logistic`, fdlibm's log of ``1 + e`` works from its reduced
    argument ``u = f / (2 + f)``, ``log1p(f) = 2u + u R(u^2)``, where f is e (k = 0) or
    ``(e - 1) / 2`` (k = 1, past e = sqrt(2) - 1), so u is ``s / (s + 2m)`` or ``(s - m) / (s + 3m)``:
    e itself is never divided out, and no exponent is split off.
    """
    t_ = type(x)
    _, _, _, ln2_hi, ln2_lo, _, _, _, _ = _constants(x)
    n, m, scale = exp_parts(-x)
    s = scale * (m + n)
    q = t_(1.0) / (m + s)
    past = s > t_(SQRT2_MINUS_1) * m
    k = t_(1.0) if past else t_(0.0)
    u = (s - m if past else s) / (s + t_(3.0) * m if past else s + t_(2.0) * m)
    return m * q, s * q, k * ln2_hi + (t_(2.0) * u + u * _log_series(u * u) + k * ln2_lo)


@kernel(EXACT)
def sigmoid(x):
    """1 / (1 + e**-x)."""
    return logistic(x)[0]


@kernel(EXACT)
def log(x):
    """Natural log of a positive number (fdlibm's method); log(0) = -inf, NaN and +inf pass
    through. A subnormal x (the Poisson loss's ``y / a`` can be one) is scaled by 2**54 first."""
    t_ = type(x)
    _, _, _, ln2_hi, ln2_lo, _, _, _, _ = _constants(x)
    subnormal = x < np.finfo(t_).tiny
    m, k = _split_exponent(x * t_(2.0**54) if subnormal else x)
    k = k - t_(54.0) if subnormal else k
    f = m - t_(1.0)
    s = f / (t_(2.0) + f)
    r = _log_series(s * s)
    half_f2 = t_(0.5) * f * f
    y = s * (half_f2 + r) + k * ln2_lo - half_f2 + f + k * ln2_hi
    y = -t_(np.inf) if x == t_(0.0) else y
    return y if x < t_(np.inf) else x


# Cephes atan: rational approximation on |x| <= 0.66 after reducing by pi/4 or pi/2.
_ATAN_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1,
           -1.228866684490136173410e2, -6.485021904942025371773e1)
_ATAN_Q = (2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2,
           4.853903996359136964868e2, 1.945506571482613964425e2)
_TAN_3PI_8 = 2.41421356237309504880
_PI_2 = 1.57079632679489661923
_PI_4 = 0.78539816339744830962
_PI_2_LO = 6.123233995736765886130e-17  # pi/2 - _PI_2


@kernel(EXACT)
def arctan(x):
    """arctan(x) by Cephes' method with selects instead of branches; within a few ulp."""
    t_ = type(x)
    ax = abs(x)
    big = ax > t_(_TAN_3PI_8)
    mid = ax > t_(0.66)
    base = t_(_PI_2) if big else (t_(_PI_4) if mid else t_(0.0))
    tail = t_(_PI_2_LO) if big else (t_(0.5 * _PI_2_LO) if mid else t_(0.0))
    r = -t_(1.0) / ax if big else ((ax - t_(1.0)) / (ax + t_(1.0)) if mid else ax)
    z = r * r
    p = t_(_ATAN_P[0])
    for c in _ATAN_P[1:]:
        p = p * z + t_(c)
    q = z + t_(_ATAN_Q[0])
    for c in _ATAN_Q[1:]:
        q = q * z + t_(c)
    y = base + (r + r * z * p / q + tail)
    return -y if x < 0 else y
