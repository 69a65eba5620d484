"""Untyped failures on the newer surfaces (issue 29 #16): each ends in a typed energyai error.

pandas object columns mixing numbers and strings, strings and wrong shapes in
``best_submission``, an array of timestamps to ``StreamingForecaster.update``, an empty
batch in ``OnnxForecaster.predict_arrays`` (an empty forecast, as before), and an RSA key
where energyai signs with ed25519.
"""

from __future__ import annotations

import numpy as np
import pytest

import energyai as ea
from energyai.exceptions import ColumnTypeError, ConfigError, DataError, IntegrityError, TimestampError
from energyai.market.submission import best_submission
from tests.conftest import synthetic_hourly

SCHEMA = ea.Schema(timestamp="ts", target="load", freq="1h")
LEVELS = (0.1, 0.5, 0.9)
Q = np.tile(np.array([1.0, 2.0, 3.0]), (24, 1))


def test_pandas_object_columns_mixing_types_name_the_column_and_row():
    pytest.importorskip("pandas")
    pdf = synthetic_hourly(n_days=3).drop("site").to_pandas()
    pdf["load"] = pdf["load"].astype(object)
    ea.validate(pdf, SCHEMA)  # numbers held as objects are fine
    pdf.loc[3, "load"] = "12,5"
    with pytest.raises(ColumnTypeError, match=r"column 'load' mixes value types.*row 3 holds '12,5'"):
        ea.validate(pdf, SCHEMA)
    with pytest.raises(ColumnTypeError, match="column 'load'"):
        ea.validate(pdf, SCHEMA, dst="shift")  # the repair path converts the same way


@pytest.mark.parametrize(("quantiles", "capacity", "error", "match"), [
    ("abc", 10.0, DataError, "quantiles must be numbers"),
    ([[1, 2, "x"]], 10.0, DataError, "quantiles must be numbers"),
    (Q, "x", DataError, "capacity must be numbers"),
    (Q, np.ones(5), DataError, r"one per hour \(24\)"),
    (Q, np.ones((24, 1)), DataError, "one per hour"),
])
def test_best_submission_refuses_strings_and_shapes(quantiles, capacity, error, match):
    with pytest.raises(error, match=match):
        best_submission(quantiles, LEVELS, capacity)
    with pytest.raises(ConfigError, match="levels must be numbers"):
        best_submission(Q, ("a", "b", "c"), 10.0)


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    from energyai.runtime import OnnxForecaster

    df = synthetic_hourly(n_days=20).drop("site")
    path = tmp_path_factory.mktemp("m") / "m.onnx"
    ea.Forecaster("dlinear", context_length=48, horizon=24, max_steps=5, seed=0).fit(df, SCHEMA).export(path)
    return OnnxForecaster(path), path


def test_an_empty_batch_is_an_empty_forecast(device):
    model, _ = device
    out = model.predict_arrays(np.zeros((0, 48), np.float32), np.zeros((0, 48), "datetime64[s]"))
    assert out.values.shape == (0, 24, 3) and out.timestamps.shape == (0, 24) and out.series == []


def test_stream_update_takes_one_timestamp(device):
    from energyai.runtime import StreamingForecaster

    stream = StreamingForecaster(device[0])
    t0 = np.datetime64("2021-03-01T00:00")
    with pytest.raises(TimestampError, match="one timestamp per call"):
        stream.update(np.array([t0, t0]), 1.0)
    with pytest.raises(DataError, match="not a number"):
        stream.update(t0, [1.0, 2.0])
    stream.update(t0, 1.0)  # and the stream still works
    assert stream.n_seen_ == 1


def test_an_rsa_key_is_refused_as_not_ed25519(device, tmp_path):
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from energyai.integrity import sign
    from energyai.runtime import OnnxForecaster

    _, path = device
    ed = ed25519.Ed25519PrivateKey.generate()
    pem = ed.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
    signed = tmp_path / "signed.onnx"
    signed.write_bytes(sign(path.read_bytes(), pem))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = tmp_path / "rsa.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(IntegrityError, match="RSAPublicKey, not an ed25519 key"):
        OnnxForecaster(signed, public_key=public)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    with pytest.raises(IntegrityError, match="not an ed25519 key"):
        sign(path.read_bytes(), private)


DEV_ZERO = "/dev/zero"


@pytest.mark.skipif(not __import__("os").path.exists(DEV_ZERO), reason="no /dev/zero on this system")
def test_devices_are_refused_before_reading(tmp_path, capsys):
    """/dev/zero used to be read until memory ran out (the OOM killer ended `energyai fit -c`)."""
    from energyai.cli.main import main
    from energyai.exceptions import ArtifactError, DatasetError
    from energyai.runtime.csvio import read_csv_columns

    with pytest.raises(DatasetError, match="not a regular file"):
        ea.read_csv(DEV_ZERO)
    with pytest.raises(DatasetError, match="not a regular file"):
        ea.read_parquet(DEV_ZERO)
    with pytest.raises(DataError, match="not a regular file"):
        read_csv_columns(DEV_ZERO, ["load"])
    pytest.importorskip("onnxruntime")
    from energyai.runtime import OnnxForecaster

    with pytest.raises(ArtifactError, match="not a regular file"):
        OnnxForecaster(DEV_ZERO)
    assert main(["fit", "-c", DEV_ZERO, "--out", str(tmp_path / "run")]) == 2
    assert "not a regular file" in capsys.readouterr().err
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * 2_000_000)
    assert main(["fit", "-c", str(big), "--out", str(tmp_path / "run")]) == 2
    assert "more than the 1000000" in capsys.readouterr().err


def test_a_batch_that_cannot_fit_in_memory_is_refused_before_allocating():
    from energyai.training.data import check_batch_memory

    check_batch_memory(256, 72, 2)  # 0.6 MB: fine anywhere
    with pytest.raises(ConfigError, match=r"batch_size=1000000000 needs about 4291\.5 GiB"):
        check_batch_memory(10**9, 72, 2)  # 1e9 x 72 x 2 x 4 B x 8 (hand-worked), more than any machine here
    df = synthetic_hourly(n_days=10).drop("site")
    with pytest.raises(ConfigError, match=r"lower trainer\.batch_size"):
        ea.Forecaster("dlinear", context_length=48, horizon=24, max_steps=2, batch_size=10**9).fit(df, SCHEMA)


def test_a_site_that_is_not_numbers_is_a_config_error():
    """Found by the fuzz harness: ``solar_site="x"`` ended in a bare ValueError."""
    for site in ("x", ("a", "b"), 3.0):
        with pytest.raises(ConfigError, match="solar_site"):
            ea.Forecaster.from_pretrained("solar-base", solar_site=site)
