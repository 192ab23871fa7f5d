"""save/load: an exact round trip through a portable .npz + JSON file that never unpickles."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import fastnn

from .conftest import moons

X, Y = moons(n_samples=200)

#: Set by ``Payload`` when unpickled: the code a malicious pickle would run.
RAN = []


def _run_payload():
    RAN.append(True)
    return "pwned"


class Payload:
    def __reduce__(self):
        return _run_payload, ()


def trained(hidden=(4, 3), dtype=None):
    return fastnn.fit(X, Y, 0.5, hidden, 30, init="he", seed=0, dtype=dtype)[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", [0, 5, (4, 3)])
def test_round_trip_is_exact(tmp_path, hidden, dtype):
    params = trained(hidden, dtype)
    meta = {"activation": "tanh", "hidden_size": [4, 3], "learning_rate": 0.5, "note": "é", "nested": {"a": [1, None]}}
    path = fastnn.save(tmp_path / "model.npz", params, meta)
    loaded, loaded_meta = fastnn.load(path)
    assert sorted(loaded) == sorted(params)
    for name in params:
        assert loaded[name].dtype == params[name].dtype and loaded[name].shape == params[name].shape
        assert np.array_equal(loaded[name], params[name])
    assert loaded_meta == meta
    assert np.array_equal(fastnn.predict_proba(X, loaded), fastnn.predict_proba(X, params))


def test_numpy_and_unzip_read_it(tmp_path):
    params = trained()
    path = fastnn.save(str(tmp_path / "model.npz"), params, {"activation": "relu"})
    with np.load(path, allow_pickle=False) as archive:
        assert np.array_equal(archive["W2"], params["W2"])
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("meta.json"))["meta"] == {"activation": "relu"}
        assert sorted(archive.namelist()) == ["W1.npy", "W2.npy", "W3.npy", "b1.npy", "b2.npy", "b3.npy", "meta.json"]


def test_meta_defaults_to_empty(tmp_path):
    fastnn.save(tmp_path / "m.npz", trained())
    assert fastnn.load(tmp_path / "m.npz")[1] == {}


def tamper(path, name, payload):
    """Rewrite the zip at ``path`` with member ``name`` replaced by ``payload`` (bytes)."""
    with zipfile.ZipFile(path) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    members[name] = payload
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def object_array_npy(value):
    buffer = io.BytesIO()
    np.save(buffer, np.array([value, 1.0], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_a_member_holding_a_pickle_is_refused_and_never_run(tmp_path):
    path = fastnn.save(tmp_path / "model.npz", trained(), {"activation": "tanh"})
    tamper(path, "W1.npy", object_array_npy(Payload()))
    with np.load(path, allow_pickle=True) as archive:  # the payload is live: numpy with pickles runs it
        archive["W1"]
    assert RAN == [True]
    RAN.clear()
    with pytest.raises(ValueError, match="refusing to load .* pickled object"):
        fastnn.load(path)
    assert RAN == []


def test_a_pickle_file_is_refused_and_never_run(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"W1": Payload()}))
    with pytest.raises(ValueError, match="not a zip archive"):
        fastnn.load(path)
    assert RAN == []


@pytest.mark.parametrize("name, payload, message", [
    ("meta.json", b"{not json", "not valid JSON"),
    ("meta.json", json.dumps({"format": "something else", "version": 1, "meta": {}}).encode(), "does not describe"),
    ("meta.json", json.dumps({"format": "fastnn.params", "version": 1, "meta": [1]}).encode(), "no metadata dict"),
    ("evil.py", b"print('hi')", "unexpected member 'evil.py'"),
    ("W1.npy", b"\x93NUMPY garbage", "not a plain numeric array"),
])
def test_tampered_files_are_refused(tmp_path, name, payload, message):
    path = fastnn.save(tmp_path / "model.npz", trained(), {})
    tamper(path, name, payload)
    with pytest.raises(ValueError, match=message):
        fastnn.load(path)


def test_arrays_that_are_not_a_network_are_refused(tmp_path):
    params = trained()
    for broken, message in [
        ({k: v for k, v in params.items() if k != "b2"}, "needs exactly"),
        (dict(params, W2=params["W2"][:, :2]), "has shape"),
        (dict(params, b1=params["b1"].astype(np.int64)), "dtype int64"),
        (dict(params, W3=np.full_like(params["W3"], np.nan)), "NaN"),
    ]:
        with pytest.raises(ValueError, match=message):
            fastnn.save(tmp_path / "bad.npz", broken)
        path = tmp_path / "bad.npz"
        with zipfile.ZipFile(path, "w") as archive:  # the same arrays written by hand: load refuses them too
            for key, value in broken.items():
                buffer = io.BytesIO()
                np.save(buffer, value)
                archive.writestr(f"{key}.npy", buffer.getvalue())
            archive.writestr("meta.json", json.dumps({"format": "fastnn.params", "version": 1, "meta": {}}))
        with pytest.raises(ValueError, match=message):
            fastnn.load(path)


def test_missing_meta_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, **trained())
    with pytest.raises(ValueError, match="no meta.json"):
        fastnn.load(path)


@pytest.mark.parametrize("meta, message", [
    ({"rate": np.float32(0.5)}, "JSON"), ({"x": float("nan")}, "JSON"), ({1: "a"}, None), ([1, 2], "must be a dict"),
])
def test_meta_json_cannot_hold_is_refused_and_no_file_is_left(tmp_path, meta, message):
    path = tmp_path / "model.npz"
    if message is None:  # int keys become strings in JSON: allowed, as JSON does it
        fastnn.save(path, trained(), meta)
        assert fastnn.load(path)[1] == {"1": "a"}
        return
    with pytest.raises(ValueError, match=message):
        fastnn.save(path, trained(), meta)
    assert os.listdir(tmp_path) == []


def test_save_replaces_a_file_whole(tmp_path):
    path = tmp_path / "model.npz"
    fastnn.save(path, trained(5), {"v": 1})
    fastnn.save(path, trained((4, 3)), {"v": 2})
    params, meta = fastnn.load(path)
    assert meta == {"v": 2} and sorted(params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert os.listdir(tmp_path) == ["model.npz"]
