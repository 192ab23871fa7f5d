"""Matrix products of wide layers by the BLAS that scipy ships, called from compiled code.

A wide layer's products (``z = W a``, ``dW += delta a^T``, ``W^T delta``) are bound by
multiply-adds. The row kernels (``fastnn.kernels.rows``) reach a third to a half of one core's
matrix-multiply speed on them; BLAS's packed, register-blocked ``gemm`` reaches most of it, with
the vector width LLVM does not use by default (AVX-512). ``gemm`` calls numba's own BLAS helper
(``numba_xxgemm``, what ``np.dot`` compiles to: scipy's ``cython_blas``, found when first called),
but with offsets, leading dimensions and ``beta``, so a block reads its rows in place and a
gradient accumulates without a copy.

BLAS must run on one thread inside fastnn's kernels (:func:`fastnn.training.one_blas_thread`):
fastnn splits the work over numba's threads itself, in a fixed order, and a threaded BLAS under
it would both oversubscribe the cores and make the bits depend on BLAS's thread count.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.linalg import ensure_blas, get_blas_kind

from .options import EXACT, kernel

_CHAR = ir.IntType(8)
_VOID_P = ir.IntType(8).as_pointer()


@intrinsic
def _xxgemm(typingctx, trans_a, trans_b, m, n, k, A, a_off, lda, B, b_off, ldb, beta, C, c_off, ldc):
    """Column-major ``C = op(A) op(B) + beta C`` (numba_xxgemm's arguments, arrays + element offsets)."""
    arrays = (A, B, C)
    if not all(isinstance(a, types.Array) and a.layout == "C" for a in arrays):
        return None
    dtype = C.dtype
    if A.dtype != dtype or B.dtype != dtype or dtype not in (types.float32, types.float64):
        return None
    ensure_blas()
    kind = get_blas_kind(dtype)
    sig = types.void(trans_a, trans_b, m, n, k, A, a_off, lda, B, b_off, ldb, beta, C, c_off, ldc)

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, a, ao, la, b, bo, lb, beta_, c, co, lc = args
        intp = context.get_value_type(types.intp)
        fnty = ir.FunctionType(ir.IntType(32), [_CHAR, _CHAR, _CHAR, intp, intp, intp, _VOID_P, _VOID_P, intp,
                                                _VOID_P, intp, _VOID_P, _VOID_P, intp])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")

        def pointer(array_type, value, offset, offset_type):
            data = context.make_array(array_type)(context, builder, value).data
            index = context.cast(builder, offset, offset_type, types.intp)
            return builder.bitcast(builder.gep(data, [index]), _VOID_P)

        def integer(value, value_type):
            return context.cast(builder, value, value_type, types.intp)

        alpha = cgutils.alloca_once_value(builder, context.get_constant(dtype, 1.0))
        beta_slot = cgutils.alloca_once_value(builder, context.cast(builder, beta_, signature.args[11], dtype))
        flag = lambda value, value_type: builder.trunc(integer(value, value_type), _CHAR)  # noqa: E731
        builder.call(fn, (ir.Constant(_CHAR, ord(kind)), flag(ta, trans_a), flag(tb, trans_b),
                          integer(m_, m), integer(n_, n), integer(k_, k),
                          builder.bitcast(alpha, _VOID_P), pointer(A, a, ao, a_off), integer(la, lda),
                          pointer(B, b, bo, b_off), integer(lb, ldb), builder.bitcast(beta_slot, _VOID_P),
                          pointer(C, c, co, c_off), integer(lc, ldc)))
        return context.get_dummy_value()

    return sig, codegen


_N, _T = ord("n"), ord("t")


@kernel(EXACT)
def gemm(trans_a, trans_b, m, n, k, A, a_off, lda, B, b_off, ldb, beta, C, c_off, ldc):
    """Row-major ``C = op(A) op(B) + beta C``: ``C`` (m x n) at element ``c_off`` of ``C``'s
    buffer, rows ``ldc`` apart; ``op(A)`` (m x k) is ``A`` or, if ``trans_a``, its transpose
    (likewise B), ``A``'s rows ``lda`` apart from ``a_off``. Arrays are C-contiguous; m, n, k >= 1."""
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands
    _xxgemm(_T if trans_b else _N, _T if trans_a else _N, n, m, k, B, b_off, ldb, A, a_off, lda, beta, C, c_off, ldc)
