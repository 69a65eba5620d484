"""The test session stops on SIGTERM (``timeout`` sends it), including inside a Lightning fit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _session(tmp_path: Path, body: str) -> subprocess.Popen:
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        from tests.stop_on_sigterm import install

        def pytest_configure(config):
            install()
    """))
    after = f"\n\ndef test_after():\n    from pathlib import Path\n    Path({str(tmp_path / 'after')!r}).write_text('ran')\n"
    (tmp_path / "test_body.py").write_text(textwrap.dedent(body) + after)  # runs only if the session goes on
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(marker: Path, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if marker.exists() or proc.poll() is not None:
            return
        time.sleep(0.1)


def _terminate(tmp_path: Path, marker: Path, proc: subprocess.Popen) -> str:
    """SIGTERM once the body has started; the session must end (143) before ``test_after``."""
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, out
    assert not (tmp_path / "after").exists(), "the session went on after SIGTERM"
    return out


def test_sigterm_ends_the_session_not_one_test(tmp_path):
    marker = tmp_path / "started"
    proc = _session(tmp_path, f"""
        import time
        from pathlib import Path

        def test_sleeps():
            Path({str(marker)!r}).write_text("x")
            time.sleep(120)
    """)
    out = _terminate(tmp_path, marker, proc)
    assert "stopped by signal" in out


@pytest.mark.slow
def test_sigterm_inside_a_lightning_fit_ends_the_session(tmp_path):
    marker = tmp_path / "started"
    proc = _session(tmp_path, f"""
        from pathlib import Path

        import lightning as L
        import torch

        class Slow(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.w = torch.nn.Linear(1, 1)

            def training_step(self, batch, i):
                Path({str(marker)!r}).write_text("x")
                import time
                time.sleep(0.05)
                return self.w(batch[0]).pow(2).mean()

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.01)

        def test_fit():
            data = torch.utils.data.TensorDataset(torch.ones(64, 1))
            L.Trainer(max_steps=100000, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      accelerator="cpu").fit(Slow(), torch.utils.data.DataLoader(data, batch_size=4))
    """)
    _terminate(tmp_path, marker, proc)
