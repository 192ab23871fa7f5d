"""Where numba caches fastnn's compiled kernels, and when a cached kernel is stale.

numba's own choice (``cache=True``) raises "cannot cache function ...: no locator available" at
import when neither the package directory nor the user's cache directory is writable (a read-only
install run by a user without a writable home), and keys a function's cache on its own file only,
so a kernel whose callee in another file changed would load stale machine code. fastnn's kernels
use this locator instead: numba's places in numba's order (``NUMBA_CACHE_DIR``, the package's
``__pycache__``, the user's cache directory), then a private temporary directory with one
warning, then no cache; and a stamp that is the digest of every module in ``fastnn/kernels``, so a
change to any of them (an upgrade) recompiles every kernel.
"""
import functools
import hashlib
import os
import tempfile
import warnings
from pathlib import Path

from numba.core import caching, config
from numba.misc.appdirs import AppDirs

KERNELS = Path(__file__).resolve().parent


class CacheWarning(UserWarning):
    """numba cannot cache fastnn's kernels where it normally would."""


def _source_digest():
    """sha256 of every kernels module (names and contents): the stamp of every cached kernel."""
    digest = hashlib.sha256()
    for path in sorted(KERNELS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SOURCE_DIGEST = _source_digest()


def _writable(path):
    """Whether ``path`` exists as (or can be made) a directory we can create files in."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def _private_temporary():
    """``<tmp>/fastnn-numba-cache-<uid>``, created 0700, if it is ours and no one else's to write
    (a cache is loaded as code: another user must not plant one), else a new private directory."""
    path = Path(tempfile.gettempdir()) / f"fastnn-numba-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        status = os.lstat(path)
        if path.is_dir() and not path.is_symlink() and status.st_uid == os.getuid() and not status.st_mode & 0o077:
            return path
    except (OSError, AttributeError):
        pass
    try:
        return Path(tempfile.mkdtemp(prefix="fastnn-numba-cache-"))
    except OSError:
        return None


@functools.lru_cache(maxsize=None)
def cache_directory(user_dir=None):
    """The directory fastnn's kernels are cached in (None: no cache), found once per process.

    ``user_dir`` is ``NUMBA_CACHE_DIR`` (numba's ``config.CACHE_DIR``). The sub-directory names
    follow numba's, so a cache numba's own locator filled is found again.
    """
    subpath = caching._CacheLocator.get_suitable_cache_subpath(str(KERNELS / "options.py"))
    tried = [Path(user_dir) / subpath] if user_dir else []
    tried += [KERNELS / "__pycache__", Path(AppDirs(appname="numba", appauthor=False).user_cache_dir) / subpath]
    for path in tried:
        if _writable(path):
            return path
    temporary = _private_temporary()
    fallback = temporary / subpath if temporary is not None and _writable(temporary / subpath) else None
    where = f"in {fallback}, which the system may delete" if fallback else "nowhere: every process compiles them"
    warnings.warn(f"fastnn: numba cannot cache the compiled kernels in {', '.join(map(str, tried))} (not writable); "
                  f"caching them {where}. Set NUMBA_CACHE_DIR to a writable directory to choose.",
                  CacheWarning, stacklevel=2)
    return fallback


class KernelsLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """numba's cache locator for fastnn's kernels: :func:`cache_directory`, stamped
    ``SOURCE_DIGEST``."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_directory(config.CACHE_DIR or None))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return SOURCE_DIGEST

    @classmethod
    def from_function(cls, py_func, py_file):
        return cls(py_func, py_file) if cache_directory(config.CACHE_DIR or None) is not None else None


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [KernelsLocator]


class KernelCache(caching.FunctionCache):
    """numba's cache of compiled functions, located by :class:`KernelsLocator`."""
    _impl_class = _CacheImpl


def can_cache():
    """Whether fastnn's kernels have a cache directory (warns once, the first time, if it is not numba's)."""
    return cache_directory(config.CACHE_DIR or None) is not None
