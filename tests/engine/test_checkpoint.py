"""Model files: a saved model loads back identically; every kind of bad file is refused with a reason."""

import io
import json
import zipfile

import numpy as np
import pytest

from engine.checkpoint import CheckpointError, load, load_with_meta, save, to_bytes
from engine.config import Config
from engine.data import eval_set
from engine.model import SequenceModel


def model_of(**kw) -> SequenceModel:
    return SequenceModel(Config(hidden=5, **kw))


def rewrite(data: bytes, change=None, drop=(), add=None) -> bytes:
    """The .npz ``data`` with entries dropped, changed (name -> array) or raw members added."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k not in drop}
    arrays.update(change or {})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    if add:
        with zipfile.ZipFile(buf, "a") as zf:
            for name, raw in add.items():
                zf.writestr(name, raw)
    return buf.getvalue()


@pytest.mark.parametrize("kw", [dict(cell="rnn", layers=2), dict(cell="lstm"), dict(cell="gru", bias=False),
                                dict(cell="rnn", dtype="float32")],
                         ids=["rnn-2", "lstm", "gru-nobias", "f32"])
def test_a_saved_model_loads_back_the_same(tmp_path, kw):
    model = model_of(**kw)
    path = tmp_path / "m.npz"
    save(path, model, meta={"step": 7})
    back, meta = load_with_meta(path)
    assert back.config == model.config and meta == {"step": 7}
    assert set(back.params) == set(model.params)
    for k, v in model.params.items():
        assert back.params[k].dtype == v.dtype
        np.testing.assert_array_equal(back.params[k], v, err_msg=k)
    x = eval_set(4).x
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    # File objects and bytes work too.
    buf = io.BytesIO()
    save(buf, model)
    assert load(buf).config == model.config
    assert load(to_bytes(model)).config == model.config


def refused(source, match: str, **kw) -> str:
    with pytest.raises(CheckpointError, match=match) as info:
        load(source, **kw)
    return str(info.value)


def test_a_truncated_file_is_refused():
    data = to_bytes(model_of())
    refused(data[: len(data) // 2], "not a model file|cut short|damaged")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    refused(path, "empty")
    refused(b"", "empty")


def test_a_file_that_is_not_a_zip_is_refused():
    refused(b"hello, this is text", "not a model file")


def test_a_foreign_npz_without_a_format_entry_is_refused():
    buf = io.BytesIO()
    np.savez(buf, weights=np.ones(3))
    refused(buf.getvalue(), "no 'format' entry")


def test_a_pickled_object_array_is_refused():
    data = to_bytes(model_of())
    buf = io.BytesIO()
    with np.load(io.BytesIO(data)) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["param/Why"] = np.array([{"evil": 1}], dtype=object)
    np.savez(buf, **arrays)  # object arrays are pickled
    refused(buf.getvalue(), "pickled")


def test_a_tampered_weight_fails_the_checksum():
    model = model_of()
    data = to_bytes(model)
    w = model.params["Why"].copy()
    w[0, 0] += 1e-9
    refused(rewrite(data, change={"param/Why": w}), "checksum")


def test_a_config_that_does_not_fit_the_weights_is_refused():
    data = to_bytes(model_of())
    other = Config(hidden=7).to_json()
    refused(rewrite(data, change={"config": np.array(other)}), "do not fit the stored configuration")


def test_an_invalid_config_is_refused():
    data = to_bytes(model_of())
    refused(rewrite(data, change={"config": np.array("{not json")}), "configuration is invalid")
    bad = json.loads(model_of().config.to_json())
    bad["hidden"] = -3
    refused(rewrite(data, change={"config": np.array(json.dumps(bad))}), "configuration is invalid")


@pytest.mark.parametrize("name", ["param/Why", "format", "config", "notes.txt"])
def test_a_member_that_is_not_an_array_is_refused(name):
    # A zip member without the .npy suffix comes back from np.load as raw bytes.
    data = to_bytes(model_of())
    message = refused(rewrite(data, drop=(name,), add={name: b"just some text"}), "not a NumPy array")
    assert repr(name) in message


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    data = to_bytes(model_of())
    refused(data, "larger than", max_bytes=len(data) - 1)
    path = tmp_path / "m.npz"
    path.write_bytes(data)
    refused(path, "may be at most", max_bytes=len(data) - 1)
    assert load(path, max_bytes=len(data)).config == model_of().config


def test_a_missing_file_is_refused(tmp_path):
    refused(tmp_path / "nope.npz", "could not read")


def test_non_finite_and_integer_weights_are_refused():
    model = model_of()
    data = to_bytes(model)
    w = model.params["Why"].copy()
    w[0, 0] = np.nan
    refused(rewrite(data, change={"param/Why": w}), "NaN or infinite")
    refused(rewrite(data, change={"param/Why": model.params["Why"].astype(np.int64)}), "must be floats")


def test_an_unexpected_entry_and_a_wrong_format_are_refused():
    data = to_bytes(model_of())
    refused(rewrite(data, change={"extra": np.zeros(2)}), "unexpected entry 'extra'")
    refused(rewrite(data, change={"format": np.array("someone-else/1")}), "unsupported model file format")
    refused(rewrite(data, change={"format": np.zeros(2)}), "'format' entry is not text")
