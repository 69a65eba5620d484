"""``energyai tune``: reproducible trials, a fit-ready best config, SIGKILL resume, two workers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

pytest.importorskip("lightning")
pytest.importorskip("optuna")

import optuna

from energyai.exceptions import ConfigError
from energyai.recipe import build_forecaster, load_config
from energyai.tuning import search_space, tune
from tests.conftest import synthetic_hourly

# tiny trials: the point is the bookkeeping, not the model
TRAINER = {"max_steps": 6, "batches_per_epoch": 3, "batch_size": 16, "max_val_windows": 32, "val_size": 0.2}


@pytest.fixture()
def config(tmp_path):
    df = synthetic_hourly(12, 1, seed=5)
    df.write_csv(tmp_path / "site.csv")
    cfg = {
        "data": {"path": str(tmp_path / "site.csv"),
                 "schema": {"timestamp": "ts", "target": "load", "series_id": "site", "tz": "UTC"}},
        "model": {"name": "dlinear", "context_length": 24, "horizon": 6},
        "trainer": dict(TRAINER),
        "out": str(tmp_path / "run"),
    }
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, cfg


def _states(db: str) -> list[tuple[int, str]]:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
    con.close()
    return rows


def test_search_space_lives_beside_the_models():
    assert {"kernel_size", "learning_rate", "batch_size"} <= set(search_space("dlinear"))
    assert {"hidden", "dropout"} <= set(search_space("tide"))


def test_tune_writes_a_best_config_that_fit_accepts_and_is_reproducible(config, tmp_path):
    _, cfg = config
    a = tune(cfg, 3, out=tmp_path / "a", seed=1)
    b = tune(cfg, 3, out=tmp_path / "b", seed=1)
    assert a.n_complete + a.n_pruned == 3 and a.n_failed == 0
    assert a.best_params == b.best_params and a.best_value == pytest.approx(b.best_value)  # seeded
    best = load_config(a.out / "best.yaml")
    model = build_forecaster(best)  # `energyai fit -c best.yaml` builds it unchanged
    assert model.get_params()["kernel_size"] == a.best_params["kernel_size"]
    assert model.get_params()["learning_rate"] == pytest.approx(a.best_params["learning_rate"])
    assert (a.out / "trials.csv").read_text().count("\n") == 4 and (a.out / "history.png").exists()
    # resuming a finished study runs nothing more
    again = tune(cfg, 3, out=tmp_path / "a", seed=1)
    assert again.n_complete + again.n_pruned == 3
    with pytest.raises(ConfigError, match="metric"):
        tune(cfg, 1, out=tmp_path / "c", metric="kpx_error")


def _cli(cfg_path, out, n, extra=()):
    return [sys.executable, "-m", "energyai.cli.main", "tune", "-c", str(cfg_path), "--n-trials", str(n),
            "--out", str(out), "--heartbeat", "1", *extra]


@pytest.mark.slow
def test_sigkill_mid_study_resumes_without_losing_or_duplicating(config, tmp_path):
    _, cfg = config
    slow = dict(cfg, trainer=dict(TRAINER, max_steps=60, batches_per_epoch=20))  # trials of a few seconds
    slow_path = tmp_path / "slow.yaml"
    slow_path.write_text(yaml.safe_dump(slow))
    out = tmp_path / "killed"
    db = str(out / "study.db")
    proc = subprocess.Popen(_cli(slow_path, out, 6), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:  # wait for a completed trial and a running one
            time.sleep(0.5)
            if os.path.exists(db):
                try:
                    states = dict(_states(db))
                except sqlite3.OperationalError:
                    continue
                if "COMPLETE" in states.values() and "RUNNING" in states.values():
                    break
        else:
            pytest.fail("the tuning process never had a completed and a running trial")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _states(db)
    completed_before = {n for n, s in before if s == "COMPLETE"}
    running = [n for n, s in before if s == "RUNNING"]
    assert completed_before and running
    time.sleep(2.5)  # past the grace period of the dead trial's heartbeat
    res = tune(slow, 6, out=out, heartbeat_interval=1)
    after = _states(db)
    numbers = [n for n, _ in after]
    assert len(numbers) == len(set(numbers))  # nothing recorded twice
    assert completed_before <= {n for n, s in after if s == "COMPLETE"}  # nothing completed was lost
    assert all(dict(after)[n] == "FAIL" for n in running)  # the killed trial is failed, not half-kept
    assert res.n_complete + res.n_pruned == 6 and "RUNNING" not in dict(after).values()


@pytest.mark.slow
def test_two_workers_share_one_study(config, tmp_path):
    path, _ = config
    out = tmp_path / "shared"
    out.mkdir()
    storage = f"sqlite:///{out / 'study.db'}"
    procs = [subprocess.Popen(_cli(path, out, 5, ["--storage", storage, "--study-name", "two", "--worker", str(w)]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for w in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    study = optuna.load_study(study_name="two", storage=storage)
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)]
    assert len(done) == 5  # exactly N, no lost or duplicated trials
    assert len({t.number for t in trials}) == len(trials)
    assert all(t.state != optuna.trial.TrialState.RUNNING for t in trials)
    assert {t.user_attrs.get("worker") for t in done} == {0, 1}  # both workers worked
    surplus = [t for t in trials if t.user_attrs.get("surplus")]
    assert all(t.state == optuna.trial.TrialState.FAIL for t in surplus)
