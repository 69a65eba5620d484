"""Crash safety and integrity (issue 14): killed saves, exports and training runs, mixed folders,
and one-byte changes in exported files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("polars")

import energyai as ea  # noqa: E402
from energyai.exceptions import ArtifactError, IntegrityError  # noqa: E402
from energyai.integrity import unseal, verify  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _synthetic(days=40, seed=0):
    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1) + pl.duration(days=days), "1h",
                          time_zone="UTC", eager=True)
    g = np.random.default_rng(seed)
    y = 50 + 10 * np.sin(np.arange(t.len()) * 2 * np.pi / 24) + g.normal(0, 1, t.len())
    return pl.DataFrame({"ts": t, "y": y}), ea.Schema(timestamp="ts", target="y", freq="1h")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    df, schema = _synthetic()
    a = ea.Forecaster("dlinear", context_length=48, horizon=12, max_steps=20, seed=0).fit(df, schema)
    b = ea.Forecaster("dlinear", context_length=48, horizon=12, max_steps=20, seed=1).fit(df, schema)
    folder = tmp_path_factory.mktemp("models")
    a.save(folder / "a")
    b.save(folder / "b")
    a.export(folder / "a.onnx")
    return df, folder


def _kill_when(proc: subprocess.Popen, marker: Path, timeout: float = 120) -> None:
    """SIGKILL ``proc`` as soon as ``marker`` exists (the child is then inside the write)."""
    t0 = time.time()
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the child ended before the marker: {proc.communicate()}")
        if time.time() - t0 > timeout:
            proc.kill()
            raise AssertionError("the marker never appeared")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _child(code: str, tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.slow
def test_save_killed_mid_write_leaves_the_old_model_loading_and_forecasting_identically(fitted, tmp_path):
    df, folder = fitted
    target = tmp_path / "model"
    shutil.copytree(folder / "a", target)
    before = ea.Forecaster.load(target).predict(df)
    marker = tmp_path / "inside"
    proc = _child(f"""
        import time, safetensors.torch as st
        import energyai as ea
        real = st.save_file
        def slow(state, path, metadata=None):
            real(state, path, metadata=metadata)
            open({str(marker)!r}, "w").close()   # the new weights are on disk, the folder not yet in place
            time.sleep(120)
        st.save_file = slow
        ea.Forecaster.load({str(folder / 'b')!r}).save({str(target)!r})
    """, tmp_path)
    _kill_when(proc, marker)
    after = ea.Forecaster.load(target).predict(df)  # verified against its checksums
    assert after.equals(before)
    # killed while saving into a fresh folder: nothing under the name, and a typed error
    fresh = tmp_path / "fresh"
    marker.unlink()
    proc = _child(f"""
        import time, safetensors.torch as st
        import energyai as ea
        real = st.save_file
        def slow(state, path, metadata=None):
            real(state, path, metadata=metadata)
            open({str(marker)!r}, "w").close()
            time.sleep(120)
        st.save_file = slow
        ea.Forecaster.load({str(folder / 'b')!r}).save({str(fresh)!r})
    """, tmp_path)
    _kill_when(proc, marker)
    with pytest.raises(ArtifactError):
        ea.Forecaster.load(fresh)


def test_a_mixed_or_edited_folder_is_refused(fitted, tmp_path):
    _, folder = fitted
    mixed = tmp_path / "mixed"
    shutil.copytree(folder / "a", mixed)
    shutil.copy(folder / "b" / "model.safetensors", mixed / "model.safetensors")
    with pytest.raises(IntegrityError, match=r"model\.safetensors"):
        ea.Forecaster.load(mixed)
    partial = tmp_path / "partial"
    shutil.copytree(folder / "a", partial)
    (partial / "checksums.json").unlink()
    with pytest.raises(IntegrityError, match=r"checksums\.json"):
        ea.Forecaster.load(partial)
    assert ea.Forecaster.load(partial, verify=False) is not None  # the documented opt-out
    edited = tmp_path / "edited"
    shutil.copytree(folder / "a", edited)
    cfg = edited / "config.json"
    cfg.write_text(cfg.read_text().replace('"horizon": 12', '"horizon": 13'))
    with pytest.raises(IntegrityError, match=r"config\.json"):
        ea.Forecaster.load(edited)
    garbled = tmp_path / "garbled"
    shutil.copytree(folder / "a", garbled)
    (garbled / "config.json").write_bytes(b"\xff{not json")
    with pytest.raises(IntegrityError):
        ea.Forecaster.load(garbled)
    with pytest.raises(ArtifactError, match="not valid JSON"):  # typed even with verification off
        ea.Forecaster.load(garbled, verify=False)
    (garbled / "config.json").write_bytes((folder / "a" / "config.json").read_bytes())
    (garbled / "model.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(ArtifactError, match="cannot rebuild"):
        ea.Forecaster.load(garbled, verify=False)
    # issue 29 #12: checksums.json naming files outside the folder, and a removed manifest.json
    import json

    from energyai.persist import write_checksums

    for outside in ("../secret.txt", str(tmp_path / "secret.txt"), "sub/x.json"):
        (tmp_path / "secret.txt").write_text("not the model's")
        escaped = tmp_path / f"escaped{abs(hash(outside))}"
        shutil.copytree(folder / "a", escaped)
        listed = json.loads((escaped / "checksums.json").read_text())
        listed["sha256"][outside] = "0" * 64
        (escaped / "checksums.json").write_text(json.dumps(listed))
        with pytest.raises(IntegrityError, match="not files of this folder"):
            ea.Forecaster.load(escaped)
    unguarded = tmp_path / "unguarded"
    shutil.copytree(folder / "a", unguarded)
    (unguarded / "manifest.json").unlink()
    write_checksums(unguarded)  # re-sealed without it: still refused, the manifest carries guards
    with pytest.raises(IntegrityError, match=r"manifest\.json"):
        ea.Forecaster.load(unguarded)
    # a save never removes files it did not write
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ea.exceptions.ConfigError, match=r"notes\.txt"):
        ea.Forecaster.load(folder / "a").save(other)


@pytest.mark.slow
def test_export_killed_mid_write_leaves_the_old_file_loading(fitted, tmp_path):
    from energyai.runtime import OnnxForecaster

    df, folder = fitted
    target = tmp_path / "m.onnx"
    shutil.copy(folder / "a.onnx", target)
    old = target.read_bytes()
    last = df.filter(pl.col("ts") >= df["ts"][-48])
    before = OnnxForecaster(target).predict_arrays(last["y"].to_numpy(), last["ts"].dt.epoch("s").to_numpy())
    marker = tmp_path / "inside"
    proc = _child(f"""
        import os, time
        import energyai as ea
        import energyai.fileio as fio
        def slow(fd):
            open({str(marker)!r}, "w").close()   # the new file is written under its temporary name
            time.sleep(120)
        fio.os.fsync = slow
        ea.Forecaster.load({str(folder / 'b')!r}).export({str(target)!r})
    """, tmp_path)
    _kill_when(proc, marker, timeout=240)
    assert target.read_bytes() == old
    after = OnnxForecaster(target).predict_arrays(last["y"].to_numpy(), last["ts"].dt.epoch("s").to_numpy())
    np.testing.assert_array_equal(after.values, before.values)
    assert [p.name for p in tmp_path.glob(".m.onnx.*.tmp")]  # the orphan keeps a unique, hidden name


@pytest.mark.slow
def test_fit_killed_by_sigkill_resumes_to_the_same_weights(tmp_path):
    from safetensors.torch import load_file

    df, _ = _synthetic(days=60)
    df.write_csv(tmp_path / "site.csv")
    cfg = tmp_path / "site.yaml"
    cfg.write_text(textwrap.dedent(f"""
        data:
          path: {tmp_path / 'site.csv'}
          schema: {{timestamp: ts, target: y, freq: 1h, tz: UTC}}
        model: {{name: tide, context_length: 48, horizon: 12, config: {{hidden: 32}}}}
        trainer: {{max_steps: 150, batches_per_epoch: 40, batch_size: 32, deterministic: true, seed: 3}}
    """))
    cli = [sys.executable, "-m", "energyai.cli.main"]
    full = subprocess.run([*cli, "fit", "-c", str(cfg), "--out", str(tmp_path / "full"), "--checkpoint-every", "10"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert full.returncode == 0, full.stderr[-2000:]
    run = tmp_path / "killed"
    ckpt = run / "checkpoints" / "last.ckpt"
    proc = subprocess.Popen([*cli, "fit", "-c", str(cfg), "--out", str(run), "--checkpoint-every", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    t0 = time.time()
    while not ckpt.exists() or ckpt.stat().st_mtime - t0 < 0:  # at least one checkpoint of this run
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < 300
        time.sleep(0.05)
    time.sleep(0.5)  # well inside training, between checkpoints or in one
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (run / "model").exists(), "the run finished before it was killed; the test proves nothing"
    resumed = subprocess.run([*cli, "fit", "-c", str(cfg), "--out", str(run), "--checkpoint-every", "10", "--resume"],
                             capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = load_file(str(tmp_path / "full" / "model" / "model.safetensors"))
    b = load_file(str(run / "model" / "model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:  # deterministic mode: bit-identical
        assert torch.equal(a[k], b[k]), k
    # resuming with other options is refused, naming what differs
    bad = subprocess.run([*cli, "fit", "-c", str(cfg), "--out", str(run), "--resume", "--set",
                          "trainer.learning_rate=0.01"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert bad.returncode == 2 and "params" in bad.stderr and "Traceback" not in bad.stderr


def test_resume_without_a_checkpoint_is_a_config_error(tmp_path):
    df, schema = _synthetic(days=10)
    with pytest.raises(ea.exceptions.ConfigError, match="no checkpoint"):
        ea.Forecaster("dlinear", context_length=48, horizon=12, max_steps=5, checkpoint_dir=str(tmp_path)).fit(
            df, schema, resume=True)
    with pytest.raises(ea.exceptions.ConfigError, match="checkpoint_dir"):
        ea.Forecaster("dlinear", context_length=48, horizon=12, checkpoint_every=10).fit(df, schema)


def _model_bytes() -> bytes:
    return (ROOT / "models" / "gb-demand-dlinear" / "model.int8.onnx").read_bytes()


def test_every_one_byte_change_in_an_exported_file_is_refused():
    payload = _model_bytes()
    assert verify(payload).digest.startswith("sha256:")
    n = len(payload)
    # every byte of the head and of the last 4 KB (metadata, signature and digest entries),
    # and every 31st byte between: a changed byte anywhere changes the sha256
    positions = sorted(set(range(0, 2048)) | set(range(n - 4096, n)) | set(range(2048, n - 4096, 31)))
    for i in positions:
        damaged = bytearray(payload)
        damaged[i] ^= 0x01
        with pytest.raises(IntegrityError):
            verify(bytes(damaged))
    with pytest.raises(IntegrityError, match="no energyai digest"):
        verify(payload[:-10])  # cut short


def test_the_runtime_refuses_damaged_and_edited_files_with_no_option(tmp_path):
    onnx = pytest.importorskip("onnx")
    from energyai.runtime import OnnxForecaster

    payload = _model_bytes()
    g = np.random.default_rng(0)
    for i in g.integers(0, len(payload), 25):
        damaged = bytearray(payload)
        damaged[int(i)] = (damaged[int(i)] + 1) % 256
        path = tmp_path / "damaged.onnx"
        path.write_bytes(bytes(damaged))
        with pytest.raises(IntegrityError):
            OnnxForecaster(path)
    # metadata edits: time zone, step, quantile order (saved with onnx, as an editor would)
    for key, value in (("energyai.tz", "Asia/Seoul"), ("energyai.freq_seconds", "3600"),
                       ("energyai.quantiles", "[0.9, 0.5, 0.1]")):
        with pytest.raises(IntegrityError):
            OnnxForecaster(_edited(onnx, payload, key, value, tmp_path))
    # with verification off (the documented opt-out), contradictory metadata is still refused
    for key, value in (("energyai.freq_seconds", "0"), ("energyai.quantiles", "[0.9, 0.5, 0.1]")):
        with pytest.raises(ArtifactError, match="inconsistent"):
            OnnxForecaster(_edited(onnx, payload, key, value, tmp_path), verify=False)
    assert OnnxForecaster(ROOT / "models" / "gb-demand-dlinear" / "model.int8.onnx").digest == verify(payload).digest


def _edited(onnx, payload: bytes, key: str, value: str, folder: Path) -> Path:
    proto = onnx.load_model_from_string(payload)
    for entry in proto.metadata_props:
        if entry.key == key:
            entry.value = value
    path = folder / "edited.onnx"
    path.write_bytes(proto.SerializeToString())
    return path


def test_signed_files_and_public_keys():
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from energyai.integrity import sign

    def pem(key, private):
        if private:
            return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    operator, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    payload = _model_bytes()
    signed = sign(payload, pem(operator, True))
    assert verify(signed, public_key=pem(operator, False)).signed
    with pytest.raises(IntegrityError, match=r"key file .* does not exist"):
        verify(signed, public_key=Path("/nonexistent/operator.pub.pem"))
    with pytest.raises(IntegrityError, match="cannot read the ed25519"):
        verify(signed, public_key=b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    with pytest.raises(IntegrityError, match="not signed by"):
        verify(signed, public_key=pem(stranger, False))
    with pytest.raises(IntegrityError, match="not signed"):
        verify(payload, public_key=pem(operator, False))
    damaged = bytearray(signed)
    damaged[-120] ^= 0x01  # inside the signature entry
    with pytest.raises(IntegrityError):
        verify(bytes(damaged))
    body = unseal(signed)[0]
    assert body == unseal(payload)[0]  # signing changes nothing of the model


def test_a_run_killed_twice_resumes_to_the_same_weights(tmp_path):
    """The second resume starts from a checkpoint that a resumed run wrote (inside an epoch)."""
    import lightning as L

    df, schema = _synthetic(days=30)
    kw = dict(context_length=48, horizon=12, max_steps=60, batches_per_epoch=25, deterministic=True, seed=3,
              checkpoint_every=10, batch_size=32)

    class Kill(L.Callback):
        def __init__(self, at):
            self.at = at

        def on_train_batch_end(self, trainer, *args):
            if trainer.global_step == self.at:
                raise RuntimeError("killed")

    full = ea.Forecaster("dlinear", checkpoint_dir=str(tmp_path / "a"), **kw).fit(df, schema)
    for at, resume in ((35, None), (45, True)):
        with pytest.raises(RuntimeError, match="killed"):
            ea.Forecaster("dlinear", checkpoint_dir=str(tmp_path / "b"), **kw).fit(df, schema, callbacks=[Kill(at)],
                                                                                   resume=resume)
    ckpt = tmp_path / "b" / "last.ckpt"
    good = ckpt.read_bytes()
    digest = tmp_path / "b" / "last.ckpt.sha256"
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01  # one byte inside the weights: torch would load it without complaint
    for damaged, why in ((good[: len(good) // 2], "digest"), (bytes(flipped), "digest")):
        ckpt.write_bytes(damaged)  # a typed error naming the digest, not a torch traceback or a silent resume
        with pytest.raises(ArtifactError, match=why):
            ea.Forecaster("dlinear", checkpoint_dir=str(tmp_path / "b"), **kw).fit(df, schema, resume=True)
    ckpt.write_bytes(good)
    listed = digest.read_bytes()
    digest.unlink()  # no digest: nothing to check the checkpoint against, so it is refused
    with pytest.raises(ArtifactError, match="no readable digest"):
        ea.Forecaster("dlinear", checkpoint_dir=str(tmp_path / "b"), **kw).fit(df, schema, resume=True)
    digest.write_bytes(listed)
    resumed = ea.Forecaster("dlinear", checkpoint_dir=str(tmp_path / "b"), **kw).fit(df, schema, resume=True)
    a, b = full.network_.state_dict(), resumed.network_.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.history_["resumed_from"].endswith("last.ckpt")


def test_cli_sign_and_predict_with_a_public_key(tmp_path):
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from energyai.cli.main import main

    key = Ed25519PrivateKey.generate()
    (tmp_path / "operator.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "operator.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    model = ROOT / "models" / "gb-demand-dlinear" / "model.onnx"
    recent = ROOT / "models" / "gb-demand-dlinear" / "recent.csv"
    signed = tmp_path / "signed.onnx"
    assert main(["sign", str(model), "--key", str(tmp_path / "operator.pem"), "-o", str(signed)]) == 0
    pub = str(tmp_path / "operator.pub.pem")
    assert main(["predict", str(signed), "--data", str(recent), "--public-key", pub,
                 "-o", str(tmp_path / "fc.csv")]) == 0
    assert (tmp_path / "fc.csv").read_text().count("\n") == 49
    # the unsigned shipped file is refused when a key is required: exit code 3
    assert main(["predict", str(model), "--data", str(recent), "--public-key", pub]) == 3
