"""Numba options for every kernel, in one place, and the dispatcher that compiles them.

The flag sets never contain ``nnan`` or ``ninf``: the training loops test costs for NaN and inf
(a diverging run must be seen), and with those flags ``np.isfinite`` silently returns True
(numba #2919). ``tests/test_precision.py`` shows the chosen flags keep results within tolerance.
"""
import contextlib
import gc
import types

import numba
from numba.core import compiler, event, sigutils, typing
from numba.core import types as numba_types
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler_lock import global_compiler_lock, require_global_compiler_lock
from numba.core.registry import CPUDispatcher

from .cache import KernelCache, can_cache

#: Element-wise maths (exp, tanh, log, ...): FMA contraction only. No ``reassoc``: it would fold
#: the ``x + 1.5*2**52 - 1.5*2**52`` rounding trick of :func:`fastnn.kernels.vmath.exp` away.
EXACT = frozenset({"contract", "nsz"})

#: Functions that sum (gradients, costs): ``reassoc`` lets LLVM split a sum over a vector's
#: lanes; without it every reduction runs at one add per ~4 cycles. A callee keeps its own flags
#: after LLVM inlines it, so calling an EXACT function from a REDUCE one is safe.
REDUCE = EXACT | {"reassoc"}

#: error_model="numpy": the Python model puts a zero-division branch in every ``/``, which blocks
#: vectorisation. nogil: kernels may run in a thread pool.
_COMMON = dict(nopython=True, boundscheck=None, nogil=True, error_model="numpy")


class LinkOnlyLibrary(JITCodeLibrary):
    """A callee's machine code, to be linked into its callers only: finalising it links its own
    callees in, and neither optimises the whole module nor emits machine code. Its caller does
    both, once, for the whole tree (numba's own library does them at every level: each level of
    compiled calls optimised and emitted everything below it again)."""

    def finalize(self):
        require_global_compiler_lock()
        self._raise_if_finalized()
        reload_init = getattr(self, "_reload_init", None)  # numba >= 0.60 only
        seen = set()
        for library in self._linking_libraries:
            if library not in seen:
                seen.add(library)
                if reload_init is not None:
                    reload_init.update(library._reload_init)
                self._final_module.link_in(library._get_module_for_linking(), preserve=True)
        self._finalize_dynamic_globals()
        self._finalized = True


@contextlib.contextmanager
def _collection_paused():
    """Python's cyclic garbage collector off meanwhile, unless it already was (then left alone).

    A compilation allocates some 300,000 objects, most of them cycles (numba's IR), and the
    collector scanned them again and again while they lived: 0.6-1.0 s of the 6.5 CPU seconds of a
    cold estimator fit + predict. Paused, they are collected once after (0.4 s; the peak memory of
    that process 320 -> 373 MB). Another thread's compilation may switch it back on early: a lost
    saving, never a lost collection."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Kernel(CPUDispatcher):
    """numba's dispatcher, with four changes that make a first fit compile in seconds, not a minute.

    - A kernel called from another with an integer constant (``f(x, 0)``) compiles for the
      argument's plain type, not once per constant: numba types a constant argument as
      ``Literal[int](0)`` and compiles a specialisation for each, so a first fit compiled
      ``rows._weight`` 20 times and ``rows.weighted_row_sums`` 6 (22 s of 30 s; the constants
      still fold once LLVM inlines the callee). A kernel with ``cases`` is the exception: called
      with a constant first argument (an activation, output or backward code, constants of
      ``Net``'s type), it is the kernel ``cases`` holds for that value, which has only that branch
      to compile.
    - It is cached (on disk, ``cache=True``) where :mod:`fastnn.kernels.cache` finds room, never
      failing on a read-only install, and recompiled when any kernels module changes.
    - A kernel called from another kernel, and not found in the cache, compiles for linking only
      (:class:`LinkOnlyLibrary`): typed, lowered and its functions optimised once, but neither
      optimised as a whole module nor emitted as machine code, nor cached; the kernel a Python call
      compiles optimises and emits its whole tree of calls once, and is cached with it.
    - Python's garbage collector pauses while a kernel compiles (:func:`_collection_paused`).
    """

    #: Constant first argument -> the kernel (with the same parameters) that runs for it: a kernel
    #: that branches on a code then compiles, for a caller that passes a constant, only the
    #: branch it takes (numba's own pruning leaves every branch of ``if code == TANH`` in).
    cases = {}

    def compile(self, sig):
        with _collection_paused():
            return super().compile(sig)

    def _case(self, args):
        """The kernel of ``cases`` for a first argument typed as a constant, else None."""
        if args and isinstance(args[0], numba_types.IntegerLiteral):
            return self.cases.get(args[0].literal_value)
        return None

    def get_call_template(self, args, kws):
        case = self._case(args)
        if case is not None:  # compiled for the constant, which the caller's lowering finds it by
            return case._template((args[0],) + tuple(numba_types.unliteral(a) for a in args[1:]), kws)
        return self._template(tuple(numba_types.unliteral(a) for a in args), kws)

    def _template(self, args, kws):
        """numba's call template for ``args``, compiled for linking first if need be."""
        pysig, args = self._compiler.fold_argument_types(args, {k: numba_types.unliteral(v) for k, v in kws.items()})
        args = tuple(args)
        if self._can_compile and args not in self.overloads and args not in self._linkable:
            self._compile_linkable(args)
        signatures = self.nopython_signatures + [cres.signature for key, cres in self._linkable.values()]
        template = typing.make_concrete_template(f"CallTemplate({self.py_func.__name__})",
                                                 key=self.py_func.__name__, signatures=signatures)
        return template, pysig, args, {}

    def get_overload(self, sig):
        """The compiled function for ``sig``; for a signature compiled for linking only, the key its
        callers' lowering finds it by (numba's ``types.Dispatcher.get_impl_key``)."""
        args = tuple(sigutils.normalize_signature(sig)[0])
        case = self._case(args)
        if case is not None:
            return case.get_overload(sig)
        if args not in self.overloads and args in self._linkable:
            return self._linkable[args][0]
        return super().get_overload(sig)

    @property
    def _linkable(self):
        try:
            return self.__dict__["_linkable_results"]
        except KeyError:
            return self.__dict__.setdefault("_linkable_results", {})

    def _compile_linkable(self, args):
        """Load ``args``'s overload from the cache, else compile it for linking into callers only."""
        with global_compiler_lock:
            if self.load_cached(args):
                return
            flags = compiler.Flags()
            self.targetdescr.options.parse_as_flags(flags, self.targetoptions)
            flags.no_compile = True
            flags.no_cpython_wrapper = True
            flags.no_cfunc_wrapper = True
            library = LinkOnlyLibrary(self.targetctx.codegen(), self.py_func.__qualname__)
            with event.trigger_event("numba:compile", data=dict(dispatcher=self, args=args, return_type=None)):
                cres = compiler.compile_extra(self.typingctx, self.targetctx, self.py_func, args=args,
                                              return_type=None, flags=flags, locals=self.locals, library=library)
            key = object()  # stands for the entry point a caller's lowering looks the callee up by
            self.targetctx.insert_user_function(key, cres.fndesc, [cres.library])
            self._linkable[args] = (key, cres)

    def load_cached(self, types):
        """Load the machine code for argument ``types`` from the on-disk cache, if it holds it;
        True when it is in memory now. Never compiles: this is ``Dispatcher.compile``'s cache-hit
        branch alone, so that a parallel twin can be loaded at once and compiled only when due."""
        with global_compiler_lock:
            if types in self.overloads:
                return True
            compiled = self._cache.load_overload(types, self.targetctx)
            if compiled is None:
                return False
            self.targetctx.insert_user_function(compiled.entry_point, compiled.fndesc, [compiled.library])
            self.add_overload(compiled)
            return True

    def enable_caching(self):
        if can_cache():
            self._cache = KernelCache(self.py_func)


def _compile(py_func, fastmath, parallel=False):
    """``py_func`` as a cached :class:`Kernel` (or itself under ``NUMBA_DISABLE_JIT``)."""
    if numba.config.DISABLE_JIT:
        return py_func
    dispatcher = Kernel(py_func=py_func, locals={}, targetoptions=dict(_COMMON, fastmath=set(fastmath),
                                                                       parallel=parallel))
    dispatcher.enable_caching()
    return dispatcher


def kernel(fastmath=EXACT):
    """Decorator: a serial, cached, nogil njit kernel with the given fastmath flag set."""
    return lambda py_func: _compile(py_func, fastmath)


def parallel_kernel(fastmath=EXACT):
    """Decorator: like :func:`kernel`, with its ``prange`` loops run on numba's threads."""
    return lambda py_func: _compile(py_func, fastmath, parallel=True)


def serial_and_parallel(py_func, fastmath=EXACT):
    """Compile ``py_func`` twice: serial (its ``prange`` runs as ``range``) and parallel.

    Both run the same arithmetic in the same order, so they give identical results. The parallel
    twin is compiled from a renamed copy of the function because numba keys its on-disk cache by
    qualified name and not by ``parallel=`` (numba #6845): without the copy, one would load the
    other's machine code.
    """
    twin = types.FunctionType(py_func.__code__, py_func.__globals__, py_func.__name__ + "_parallel",
                              py_func.__defaults__, py_func.__closure__)
    twin.__qualname__ = py_func.__qualname__ + "_parallel"
    twin.__doc__ = py_func.__doc__
    return _compile(py_func, fastmath), _compile(twin, fastmath, parallel=True)
