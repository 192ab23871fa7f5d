"""Threads that work together inside one parallel region: atomic counters, waiting, and pinning.

A numba parallel region starts by waking numba's sleeping threads (20-80 us on the 2-vCPU VMs
measured) and ends at a barrier, so a kernel that opens one per iteration pays more than the
seeds' whole iteration (14 us). A kernel that keeps one region open for a chunk of iterations
(``train._gradient_descent_workers``) coordinates its threads itself, with these:

- :func:`atomic_add`, :func:`atomic_load`, :func:`atomic_store` on an element of an int64 array
  (LLVM's atomics: the add is sequentially consistent, the load acquires, the store releases);
- :func:`wait_until`: spin on a counter with the CPU's pause hint, then yield the CPU between
  looks, so that a thread waiting for a descheduled one gives its core away;
- :func:`pin` and :func:`unpin`: bind each thread to a CPU of its own for the region. Woken from
  its sleep, numba's worker thread was often placed on the CPU of the thread that woke it, and
  stayed there for the whole region (measured: both threads on one CPU, at one thread's speed).

Linux has all of it; elsewhere pinning does nothing and waiting only spins.
"""
import platform
import sys

import llvmlite.ir as ir
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .options import EXACT, kernel

LINUX = sys.platform.startswith("linux")
X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
#: Looks at a counter before a waiting thread starts yielding its CPU (some microseconds).
SPINS = 2000
#: CPUs a pinning mask can name (Linux's cpu_set_t), in 64-bit words.
MASK_WORDS = 16

_I32, _I64 = ir.IntType(32), ir.IntType(64)


def _element_pointer(context, builder, signature, args):
    array = context.make_array(signature.args[0])(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, signature.args[0], array, [args[1]])


def _int64_array(typ):
    return isinstance(typ, types.Array) and typ.dtype == types.int64 and typ.ndim == 1


@intrinsic
def atomic_add(typingctx, array, index, value):
    """``array[index] += value`` atomically; returns the element's value before the add."""
    if not _int64_array(array):
        return None

    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature, args)
        return builder.atomic_rmw("add", pointer, context.cast(builder, args[2], signature.args[2], types.int64),
                                  "seq_cst")

    return types.int64(array, index, value), codegen


@intrinsic
def atomic_load(typingctx, array, index):
    """``array[index]``, read with acquire ordering: what its writer wrote before it is visible."""
    if not _int64_array(array):
        return None

    def codegen(context, builder, signature, args):
        return builder.load_atomic(_element_pointer(context, builder, signature, args), "acquire", 8)

    return types.int64(array, index), codegen


@intrinsic
def atomic_store(typingctx, array, index, value):
    """``array[index] = value``, written with release ordering: what was written before is visible
    to a thread that reads this value with :func:`atomic_load`."""
    if not _int64_array(array):
        return None

    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature, args)
        builder.store_atomic(context.cast(builder, args[2], signature.args[2], types.int64), pointer, "release", 8)
        return context.get_dummy_value()

    return types.none(array, index, value), codegen


def _call_c(builder, name, return_type, arg_types, args):
    function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(return_type, arg_types), name)
    return builder.call(function, args)


@intrinsic
def _pause(typingctx):
    """The CPU's spin-wait hint (x86 ``pause``), else nothing."""
    def codegen(context, builder, signature, args):
        if X86:
            _call_c(builder, "llvm.x86.sse2.pause", ir.VoidType(), [], [])
        return context.get_dummy_value()

    return types.none(), codegen


@intrinsic
def _yield_cpu(typingctx):
    """POSIX ``sched_yield()``: let another thread run on this CPU. Not on Windows: nothing."""
    def codegen(context, builder, signature, args):
        if not sys.platform.startswith("win"):
            _call_c(builder, "sched_yield", _I32, [], [])
        return context.get_dummy_value()

    return types.none(), codegen


@intrinsic
def thread_self(typingctx):
    """The calling thread's POSIX id (``pthread_self``), to tell threads apart; 0 off Linux.
    (Not ``numba.get_thread_id``: a kernel loaded from numba's cache before numba's threads start
    cannot find that symbol, and LLVM aborts the process.)"""
    def codegen(context, builder, signature, args):
        if not LINUX:
            return _I64(0)
        return _call_c(builder, "pthread_self", _I64, [], [])

    return types.int64(), codegen


@intrinsic
def current_cpu(typingctx):
    """The CPU the calling thread runs on (Linux ``sched_getcpu``), or -1 where unknown."""
    def codegen(context, builder, signature, args):
        if not LINUX:
            return _I64(-1)
        return builder.sext(_call_c(builder, "sched_getcpu", _I32, [], []), _I64)

    return types.int64(), codegen


def _affinity(name):
    """``sched_{get,set}affinity(0, size, mask)`` on the calling thread, mask a uint64 array; 0 on
    success. Not on Linux: -1."""
    @intrinsic
    def call(typingctx, mask):
        def codegen(context, builder, signature, args):
            if not LINUX:
                return _I64(-1)
            array = context.make_array(signature.args[0])(context, builder, args[0])
            size = builder.mul(array.nitems, _I64(8))
            data = builder.bitcast(array.data, ir.IntType(8).as_pointer())
            return builder.sext(_call_c(builder, name, _I32, [_I32, _I64, data.type], [_I32(0), size, data]), _I64)

        return types.int64(mask), codegen

    return call


_get_affinity = _affinity("sched_getaffinity")
_set_affinity = _affinity("sched_setaffinity")


@kernel(EXACT)
def wait_until(sync, slot, value):
    """Wait until ``sync[slot] >= value``: spin, then yield the CPU between looks."""
    spins = 0
    while atomic_load(sync, slot) < value:
        if spins < SPINS:
            _pause()
            spins += 1
        else:
            _yield_cpu()


@kernel(EXACT)
def _nth_allowed(mask, skip, n):
    """The ``n``-th CPU in ``mask`` other than ``skip``, or -1."""
    one = np.uint64(1)
    for cpu in range(mask.shape[0] * 64):
        if cpu != skip and (mask[cpu // 64] >> np.uint64(cpu % 64)) & one:
            if n == 0:
                return cpu
            n -= 1
    return -1


@kernel(EXACT)
def pin(saved, chosen, main_thread, main_cpu, sync, slot):
    """Bind the calling thread to one CPU until :func:`unpin`: the thread that began the region
    (``main_thread``, its :func:`thread_self`) to ``main_cpu``, where it ran then; every other to
    the next other CPU it may use, counted in ``sync[slot]``. Saves the thread's mask in ``saved``
    (``MASK_WORDS`` words, as ``chosen``, a scratch mask). Returns whether it pinned; it does not
    when the CPUs are unknown or too few."""
    if main_cpu < 0 or _get_affinity(saved) != 0:
        return False
    if thread_self() == main_thread:
        target = main_cpu
    else:
        target = _nth_allowed(saved, main_cpu, atomic_add(sync, slot, 1))
    if target < 0:
        return False
    for word in range(chosen.shape[0]):
        chosen[word] = 0
    chosen[target // 64] = np.uint64(1) << np.uint64(target % 64)
    return _set_affinity(chosen) == 0


@kernel(EXACT)
def unpin(saved, pinned):
    """Give the calling thread its mask ``saved`` back, if :func:`pin` changed it."""
    if pinned:
        _set_affinity(saved)
