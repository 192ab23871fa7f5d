"""Saving trained parameters to a portable file that loading can never turn into running code.

The file is a zip archive in NumPy's ``.npz`` form: one ``.npy`` member per array of the seeds'
dict (``W1.npy``, ``b1.npy``, ...) and a ``meta.json`` member holding the caller's metadata (the
activation, the settings, anything JSON can hold). ``numpy.load(path)`` and any unzip tool read
it. ``load`` reads the arrays with ``allow_pickle=False``: a file whose member holds a pickle (an
object array, which could run code when unpickled) is refused, as is anything not laid out as
``save`` writes it. Arrays are stored bit for bit, so a round trip is exact.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from .layout import Layout, sizes_from_params

#: What ``meta.json`` says about itself, so that a file of another kind is recognised as such.
FORMAT = {"format": "fastnn.params", "version": 1}

_META = "meta.json"


def save(path, params, meta=None):
    """Write ``params`` (the seeds' dict ``W1, b1, ...``) and ``meta`` (a JSON-serialisable dict) to ``path``.

    The file is written beside ``path`` and renamed into place, so an interrupted save never
    leaves a half-written file under that name. Raises ValueError for params that are not a
    network's, or metadata that JSON cannot hold.
    """
    arrays = _checked_params(params)
    meta = {} if meta is None else meta
    if not isinstance(meta, dict):
        raise ValueError(f"meta must be a dict, got {type(meta).__name__}")
    try:
        text = json.dumps(dict(FORMAT, meta=meta), indent=1, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"meta must hold only what JSON can (str, finite numbers, bool, None, lists, "
                         f"dicts with str keys): {error}") from error
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".fastnn-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file, zipfile.ZipFile(file, "w") as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
            archive.writestr(_META, text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def load(path):
    """``(params, meta)`` from a file written by ``save``.

    Never unpickles: raises ValueError for a file that holds a pickle, that is not such a zip
    archive, or whose arrays do not form a network (the seeds' dict of real, finite arrays).
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not a file written by fastnn.save (not a zip archive)") from error
    with archive:
        names = archive.namelist()
        if _META not in names:
            raise ValueError(f"{path} is not a file written by fastnn.save (no {_META})")
        try:
            header = json.loads(archive.read(_META))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: {_META} is not valid JSON: {error}") from error
        if not isinstance(header, dict) or {k: header.get(k) for k in FORMAT} != FORMAT:
            raise ValueError(f"{path}: {_META} does not describe {FORMAT}")
        if not isinstance(header.get("meta"), dict):
            raise ValueError(f"{path}: {_META} has no metadata dict")
        params = {}
        for name in names:
            if name == _META:
                continue
            if not name.endswith(".npy"):
                raise ValueError(f"{path}: unexpected member {name!r}")
            with archive.open(name) as member:
                try:
                    params[name[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
                except ValueError as error:
                    raise ValueError(f"refusing to load {path}: member {name!r} is not a plain numeric array "
                                     f"({error}); a pickled object could run code when loaded") from error
    return _checked_params(params, str(path)), header["meta"]


def _checked_params(params, source="params"):
    """The seeds' dict as C-contiguous float arrays of their own dtype, checked to form a network."""
    try:
        layout = Layout(sizes_from_params(params))
        layout.from_dict(params, np.float64)  # shapes, keys, real and finite values
    except ValueError as error:
        raise ValueError(f"{source}: not a network's parameters: {error}") from error
    checked = {}
    for name, value in params.items():
        array = np.asarray(value)
        if array.dtype not in (np.float64, np.float32):
            raise ValueError(f"{source}: {name} has dtype {array.dtype}; parameters are float64 or float32")
        checked[name] = np.ascontiguousarray(array)
    return checked
