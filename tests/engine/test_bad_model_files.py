"""Hostile and broken model files: each is refused with a CheckpointError that names the problem,
in bounded memory; any single flipped byte gives a model or a CheckpointError, nothing else."""

import io
import re
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import checkpoint
from engine.checkpoint import CheckpointError, load
from engine.config import Config
from engine.model import SequenceModel
from tests.engine.bad_model_files import CORPUS, SMALL, model_file, patch_members, zip_of


def load_traced(data: bytes):
    """(the outcome of loading ``data``: a model or the CheckpointError, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        try:
            outcome = load(data)
        except CheckpointError as e:
            outcome = e
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_bad_file_is_refused_with_a_message_naming_the_problem(name):
    make, match = CORPUS[name]
    data = make()
    outcome, peak = load_traced(data)
    assert isinstance(outcome, CheckpointError), f"{name}: loaded a model"
    assert outcome.__class__ is CheckpointError
    assert re.search(match, str(outcome)), f"{name}: {outcome}"
    # However much a file claims, loading it holds no more than a few copies of the file itself.
    assert peak < 4 * len(data) + 2_000_000, f"{name}: peak {peak:,} bytes for a {len(data):,}-byte file"


def test_the_corpus_files_start_from_a_file_that_loads():
    # The crafting helpers themselves make a loadable file when nothing is changed.
    assert load(model_file()).config == SMALL
    assert load(model_file(compress=zipfile.ZIP_DEFLATED)).config == SMALL


def test_a_float64_file_for_a_float32_model_loads_values_that_fit():
    f32 = SMALL.replace(dtype="float32")
    data = model_file({"param/Why": np.array([[3e38], [-1.5]])}, config=f32)
    model = load(data)
    assert model.params["Why"].dtype == np.float32
    assert np.isfinite(model.params["Why"]).all() and model.params["Why"][1, 0] == -1.5


def flipped(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


@pytest.mark.parametrize("compress", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_any_single_flipped_byte_gives_a_model_or_a_checkpoint_error(compress):
    data = model_file(config=Config(hidden=1, bits=2), compress=compress)
    outcomes = {"model": 0, "refused": 0}
    for at in range(len(data)):
        try:
            load(flipped(data, at))
            outcomes["model"] += 1
        except CheckpointError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > len(data) // 2, outcomes  # most flips are caught, none crash


def test_the_heavy_upload_loads_within_a_few_times_its_arrays():
    # A valid 4-layer, 512-unit LSTM whose weights are zeros: a 32 KB file for 29 MB of float32 arrays.
    cfg = Config(cell="lstm", hidden=512, layers=4, bits=64, dtype="float32")
    params = {k: np.zeros(s, np.float32) for k, s in checkpoint.param_shapes(cfg).items()}
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays.update(format=np.array(checkpoint.FORMAT), config=np.array(cfg.to_json()), meta=np.array("{}"),
                  sha256=np.array(checkpoint._digest(params)))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    data = buf.getvalue()
    assert len(data) < 64_000
    declared = sum(v.nbytes for v in params.values())
    model, peak = load_traced(data)
    assert isinstance(model, SequenceModel) and model.config == cfg
    assert peak < 4 * declared, f"{peak / 1e6:.0f} MB at the peak for {declared / 1e6:.0f} MB of weights"


def test_the_zip_patching_helper_changes_what_zipfile_reads():
    data = zip_of({"a.npy": b"12345"})
    with zipfile.ZipFile(io.BytesIO(patch_members(data, method=99))) as zf:
        assert zf.infolist()[0].compress_type == 99


@pytest.mark.parametrize("compress", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_a_file_cut_short_anywhere_is_refused(compress):
    data = model_file(config=Config(hidden=1, bits=2), compress=compress)
    for end in range(len(data)):
        with pytest.raises(CheckpointError):
            load(data[:end])


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_random_byte_changes_give_a_model_or_a_checkpoint_error(changes):
    data = bytearray(model_file(config=Config(hidden=1, bits=2), compress=zipfile.ZIP_DEFLATED))
    for at, value in changes:
        data[at % len(data)] = value
    try:
        load(bytes(data))
    except CheckpointError:
        pass
