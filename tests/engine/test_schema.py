"""The schema: one row per Config field, and the Config and the command line take exactly its ranges."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from engine import cli, schema
from engine.config import CLASSIC_FIXED, Config

NUMBERS = [s for s in schema.SETTINGS if s.choices == () and s.kind in (int, float)]


def inside(s: schema.Setting) -> list:
    """The boundary values of a number setting (and every choice of the others)."""
    if s.kind is bool:
        return [True, False]
    if s.choices:
        return list(s.choices)
    return [s.kind(s.lo), s.kind(s.hi)]


def outside(s: schema.Setting) -> list:
    """One past each boundary: the next whole number, or the next float."""
    if s.kind is int:
        return [s.lo - 1, s.hi + 1]
    return [math.nextafter(s.lo, -math.inf), math.nextafter(s.hi, math.inf)]


def test_every_config_field_has_exactly_one_row_with_its_type_and_default():
    fields = dataclasses.fields(Config)
    assert [f.name for f in fields] == [s.name for s in schema.SETTINGS]
    assert len(schema.BY_NAME) == len(schema.SETTINGS)
    for f, s in zip(fields, schema.SETTINGS, strict=True):
        assert (f.type, f.default) == (s.kind, s.default), s.name
        assert not schema.problem(s, s.default), s.name  # a default is allowed


def test_every_row_is_complete():
    for s in schema.SETTINGS:
        assert s.label and s.help.endswith("."), s.name
        if s.kind in (int, float) and not s.choices:
            assert s.lo is not None and s.hi is not None and s.lo < s.hi, s.name
        if s.kind is str:
            assert s.default in s.choices, s.name


def test_the_classic_loops_fixed_values_are_the_schemas_classic_column():
    assert CLASSIC_FIXED == {s.name: s.classic for s in schema.SETTINGS if s.classic is not None}
    assert set(CLASSIC_FIXED) >= {"cell", "layers", "batch", "optimizer", "loss"}
    assert not set(CLASSIC_FIXED) & {"hidden", "bits", "lr", "steps", "seed", "eval_every"}


@pytest.mark.parametrize("s", schema.SETTINGS, ids=lambda s: s.name)
def test_config_takes_exactly_the_schemas_range(s):
    for value in inside(s):
        assert getattr(Config(**{s.name: value}).normalised().validate(), s.name) == value
    for value in ([] if s.kind is bool or s.choices else outside(s)) + ["", None]:
        with pytest.raises(ValueError, match=re.escape(f"{s.name} must be {schema.allowed(s)}")):
            Config(**{s.name: value}).validate()


def cli_config(flag_and_value: list[str]) -> Config:
    parser = cli.build_parser()
    args = parser.parse_args(["train", *flag_and_value])
    return cli.train_config(args, args.parser)


@pytest.mark.parametrize("s", [s for s in schema.SETTINGS if s.cli], ids=lambda s: s.name)
def test_the_command_line_takes_exactly_the_schemas_range(s, capsys):
    for value in inside(s):
        if s.kind is bool:
            argv = [s.flag if value else "--no-" + s.flag[2:]]
        else:
            argv = [f"{s.flag}={value!r}" if isinstance(value, float) else f"{s.flag}={value}"]
        assert getattr(cli_config(argv), s.name) == value, argv
    if s.kind is bool:
        return  # a switch: --bias or --no-bias
    bad = [repr(v) if isinstance(v, float) else str(v) for v in outside(s)] if s in NUMBERS else ["nope"]
    for text in bad:
        with pytest.raises(SystemExit) as info:
            cli_config([f"{s.flag}={text}"])  # "=": argparse takes "-5e-324" for an option
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert s.flag in err and (text in err)


def test_algorithm_is_chosen_by_preset_on_the_command_line():
    assert not schema.BY_NAME["algorithm"].cli
    assert cli_config(["--preset", "classic"]).algorithm == "classic"


@pytest.mark.parametrize(("x", "text"), [
    (2**32 - 1, "4,294,967,295"), (1e-5, "0.00001"), (0.05, "0.05"), (1000.0, "1,000"), (-10.0, "-10"),
    (-1234.5, "-1,234.5"), (2.5, "2.5")])
def test_numbers_are_written_plainly(x, text):
    assert schema.number(x) == text


@pytest.mark.parametrize("text", ["٣", "²", "３", "1_6", "16.0", "1e1", " ", "0x10", "+", "16 16"])
def test_only_ascii_digits_make_a_whole_number(text):
    wanted = r"^Hidden units \(hidden\): .* is not allowed; it takes a whole number from 1 to 512$"
    with pytest.raises(ValueError, match=wanted):
        schema.parse(schema.BY_NAME["hidden"], text)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "٠.5", "0,5", "1e-3.5", "."])
def test_only_plain_ascii_decimals_make_a_number(text):
    with pytest.raises(ValueError, match=r"Learning rate \(lr\)"):
        schema.parse(schema.BY_NAME["lr"], text)


def test_a_refused_value_is_cut_to_forty_characters():
    with pytest.raises(ValueError) as err:
        schema.parse(schema.BY_NAME["cell"], "x" * 100_000)
    assert "x" * 40 + "…" in str(err.value) and "x" * 41 not in str(err.value)
    assert len(str(err.value)) < 120


def test_parsing_accepts_spacing_and_case():
    assert schema.parse(schema.BY_NAME["hidden"], " 32 ") == 32
    assert schema.parse(schema.BY_NAME["cell"], "LSTM") == "lstm"
    assert schema.parse(schema.BY_NAME["bias"], "off") is False
    assert schema.parse(schema.BY_NAME["lr"], "1E-2") == 0.01


def test_validation_names_each_field_and_cuts_a_long_value():
    with pytest.raises(ValueError) as err:
        Config(hidden="7" * 10_000, seed=-1).validate()
    message = str(err.value)
    assert message.startswith("hidden must be a whole number from 1 to 512 (got '" + "7" * 39 + "…)")
    assert "seed must be a whole number from 0 to 4,294,967,295 (got -1)" in message
    assert len(message) < 200
