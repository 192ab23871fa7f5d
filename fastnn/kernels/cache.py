"""Where numba caches fastnn's compiled kernels, and when a cached kernel is stale.

numba's own choice (``cache=True``) raises "cannot cache function ...: no locator available" at
import when neither the package directory nor the user's cache directory is writable (a read-only
install run by a user without a writable home), keys its directory on the package's absolute path
(so a second virtualenv compiles everything again), and keys a function's cache on its own file
only, so a kernel whose callee in another file changed would load stale machine code. fastnn's
kernels use this locator instead. The first writable of:

1. ``NUMBA_CACHE_DIR`` (numba's layout under it: one directory per install);
2. the user's cache directory, ``<user cache>/fastnn/kernels/<digest>-numba-<v>-llvmlite-<v>``:
   shared by every install (virtualenv, copy) of the same kernels by the same user, so a second
   install starts warm. numba keys each entry on the CPU (name and features) in its index and on the
   Python version in its file names, so one directory serves every machine sharing the home;
3. the package's ``__pycache__`` (a user without a writable home);
4. a private temporary directory, with one warning; else no cache.

Every cached kernel is stamped with the digest of every module in ``fastnn/kernels``, so a change
to any of them (an upgrade) recompiles every kernel. Saves hold a lock on the directory, so
processes of several installs filling one cache at once do not lose or swap each other's entries.
"""
import contextlib
import functools
import hashlib
import itertools
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import llvmlite
import numba
from numba.core import caching, config
from numba.misc.appdirs import AppDirs

try:
    import fcntl
except ImportError:  # Windows: saves are not locked (numba's own behaviour)
    fcntl = None

KERNELS = Path(__file__).resolve().parent

#: Per-user directories (one per kernels digest and numba version) kept when a new one is made.
KEEP_USER_DIRECTORIES = 8


class CacheWarning(UserWarning):
    """numba cannot cache fastnn's kernels where it normally would."""


def _source_digest():
    """sha256 of every kernels module (names and contents): the stamp of every cached kernel."""
    digest = hashlib.sha256()
    for path in sorted(KERNELS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SOURCE_DIGEST = _source_digest()

#: The per-user directory's name: what decides whether a cached kernel is valid, apart from what
#: numba's index keys on (signature, CPU, bytecode) and its file names (Python version). numba
#: discards an index written by another numba version and rewrites it, so installs with other
#: versions must not share the directory, or they would keep invalidating each other.
VERSION_KEY = f"{SOURCE_DIGEST[:16]}-numba-{numba.__version__}-llvmlite-{llvmlite.__version__}"


def user_root():
    """``<user cache>/fastnn/kernels``: the parent of every per-user kernels directory."""
    return Path(AppDirs(appname="fastnn", appauthor=False).user_cache_dir) / "kernels"


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


def _prune(root, keep):
    """Delete all but the ``keep`` most recently changed per-user directories under ``root``: each
    edit of a kernels module or upgrade makes a new one (some 10-25 MB), which nothing else removes.
    A process still using a deleted one compiles again (numba finds no index) and re-creates it."""
    try:
        entries = [entry for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)
                   and "-numba-" in entry.name and entry.name != VERSION_KEY]
        entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime, reverse=True)
    except OSError:
        return
    for entry in entries[max(keep - 1, 0):]:
        shutil.rmtree(entry.path, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def _choose(user_dir):
    """``(kind, path, tried)``: where the kernels are cached (path None: nowhere), found once."""
    tried = []
    if user_dir:
        subpath = caching._CacheLocator.get_suitable_cache_subpath(str(KERNELS / "options.py"))
        tried.append(("NUMBA_CACHE_DIR", Path(user_dir) / subpath))
    root = user_root()
    if root.is_absolute():  # not '~/.cache/...' (no home): that would be a '~' in the working directory
        tried.append(("user", root / VERSION_KEY))
    tried.append(("package", KERNELS / "__pycache__"))
    for kind, path in tried:
        new = kind == "user" and not os.path.isdir(path)
        if _writable(path):
            if new:
                _prune(path.parent, KEEP_USER_DIRECTORIES)
            return kind, path, tried
    temporary = _private_temporary()
    fallback = temporary / VERSION_KEY if temporary is not None and _writable(temporary / VERSION_KEY) else None
    where = f"in {fallback}, which the system may delete" if fallback else "nowhere: every process compiles them"
    warnings.warn(f"fastnn: numba cannot cache the compiled kernels in {', '.join(str(p) for _, p in tried)} "
                  f"(not writable); caching them {where}. Set NUMBA_CACHE_DIR to a writable directory to choose.",
                  CacheWarning, stacklevel=3)
    return ("temporary" if fallback else None), fallback, tried


def cache_directory(user_dir=None):
    """The directory fastnn's kernels are cached in (None: no cache), found once per process.

    ``user_dir`` is ``NUMBA_CACHE_DIR`` (numba's ``config.CACHE_DIR``); under it the sub-directory
    names follow numba's, so a cache numba's own locator filled is found again.
    """
    return _choose(user_dir)[1]


def cache_info():
    """Where this process caches the kernels: ``dict(kind=..., path=..., tried=[(kind, path, writable)])``,
    kind one of ``NUMBA_CACHE_DIR``, ``user`` (shared by every install of these kernels), ``package``,
    ``temporary`` or None (no cache)."""
    kind, path, tried = _choose(config.CACHE_DIR or None)
    return dict(kind=kind, path=path, version_key=VERSION_KEY, user_root=user_root(),
                tried=[(k, p, k == kind or (os.path.isdir(p) and os.access(p, os.W_OK))) for k, p in tried])


@contextlib.contextmanager
def _locked(directory):
    """An exclusive lock on ``directory`` (its ``.lock`` file), across processes; without one where
    the system cannot lock (numba's behaviour, then)."""
    handle = None
    try:
        handle = os.open(os.path.join(directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError:
        pass
    try:
        yield
    finally:
        if handle is not None:
            os.close(handle)  # releases the lock


class LockedIndexDataCacheFile(caching.IndexDataCacheFile):
    """numba's index and data files, saved under a lock, the data file first.

    numba's save reads the index, adds an entry and writes it back: two processes saving at once
    lose one entry, and each may take the same free data-file name for a different signature, so
    the index can point one signature at another's machine code. Under the lock the read-modify-write
    is whole; writing the data before the index means a reader (who takes no lock: both files are
    replaced atomically) never finds an entry whose file is missing or not yet its own.
    """

    def save(self, key, data):
        with _locked(self._cache_path):
            overloads = self._load_index()
            name = overloads.get(key)
            if name is None:
                taken = set(overloads.values())
                name = next(self._data_name(i) for i in itertools.count(1) if self._data_name(i) not in taken)
            self._save_data(name, data)
            if overloads.get(key) != name:
                overloads[key] = name
                self._save_index(overloads)


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
    """numba's cache of compiled functions, located by :class:`KernelsLocator`, saved under a lock."""
    _impl_class = _CacheImpl

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = LockedIndexDataCacheFile(self._cache_path, self._impl.filename_base,
                                                    self._impl.locator.get_source_stamp())

    def save_overload(self, sig, data):
        """Save, or skip if the directory went away or filled up: the kernel is compiled and in
        memory, only the next process will compile it again (numba would fail the call)."""
        try:
            super().save_overload(sig, data)
        except OSError:
            pass


def can_cache():
    """Whether fastnn's kernels have a cache directory (warns once, the first time, if it is not numba's)."""
    return cache_directory(config.CACHE_DIR or None) is not None
