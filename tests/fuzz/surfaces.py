"""Fuzz targets for the entry points added after the first harness (issue 29).

Targets
-------
calibrate        ``Forecaster.calibrate`` with mutated cutoffs (strings, ints, None,
                 repeats, naive, outside the data), methods, grouping and ``min_windows``;
                 the calibrated model then forecasts
best_submission  KPX submissions from mutated quantiles (NaN, crossing, shapes, strings),
                 levels, capacities, grid, sample and chunk sizes, units
portfolio        ``portfolio_quantiles`` with mutated plants, levels, methods, templates
                 and bounds (negative plants included)
stream           ``StreamingForecaster`` fed mutated readings, timestamps and options
runtime_csv      ``energyai predict model.onnx --data`` on mutated CSV bytes (duplicated
                 headers, non-UTF-8, ragged rows); exit code 1 (internal error) is a failure
cli_yaml         ``energyai fit -c`` on generated YAML configs and ``--set`` overrides
                 (wrong types, unknown keys, syntax errors, aliases, tags, huge sizes)
from_pretrained  ``Forecaster.from_pretrained`` with mutated names, zones, holidays, sites
preset           ``Forecaster.preset`` with mutated names and overrides, then ``check()``

Each case returns a result the harness checks for finiteness, or raises; all data is
synthetic (for testing only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np

from energyai.exceptions import EnergyAIError

SURFACE_TARGETS = ("calibrate", "best_submission", "portfolio", "stream", "runtime_csv", "cli_yaml",
                   "from_pretrained", "preset")

#: Share of an even split each target gets, against the cost of a case: the first harness's
#: targets take about 3 ms a case, these 30 to 500 ms (a valid ``cli_yaml`` case trains a
#: model), so a 200,000-case run gives each of these a few hundred to a few thousand cases.
WEIGHTS = {"best_submission": 0.2, "portfolio": 0.2, "preset": 0.2, "stream": 0.1, "runtime_csv": 0.1,
           "calibrate": 0.06, "from_pretrained": 0.06, "cli_yaml": 0.02}


class CliInternalError(Exception):
    """The CLI exited with code 1: an internal error, which the harness counts as untyped."""


class CliRefused(EnergyAIError):
    """The CLI refused the case with a documented exit code (2 to 5): a typed outcome."""


def pick(rng: np.random.Generator, options: list[Any]) -> Any:
    """One of ``options`` (any types; numpy's choice would coerce them to one dtype)."""
    return options[int(rng.integers(0, len(options)))]


def spoil_one(rng: np.random.Generator, good: dict[str, Any], bad: dict[str, list[Any]],
              share: float = 0.7) -> dict[str, Any]:
    """``good`` with, in ``share`` of the cases, one option replaced by one of its bad values
    (spoiling every option at once would make almost every case an error)."""
    out = dict(good)
    if rng.random() < share:
        key = pick(rng, list(bad))
        out[key] = pick(rng, bad[key])
    return out


def surface_case(name: str, rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    """A zero-argument callable running one generated case of target ``name``."""
    make = {"calibrate": _calibrate, "best_submission": _submission, "portfolio": _portfolio, "stream": _stream,
            "runtime_csv": _runtime_csv, "cli_yaml": _cli_yaml, "from_pretrained": _pretrained, "preset": _preset}
    return make[name](rng, ctx, tmp)


def _cli(argv: list[str]) -> Any:
    from energyai.cli.main import main

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(argv)
    except SystemExit as exc:  # argparse's usage errors exit 2 before any work
        code = exc.code if isinstance(exc.code, int) else 1
    if code in (2, 3, 4, 5):
        raise CliRefused(f"energyai {argv[0]} exited {code}")
    if code != 0:
        raise CliInternalError(f"energyai {argv[0]} exited {code} (internal error)")
    return None


# ------------------------------------------------------------------------------ calibrate
def _calibrate(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    later = ctx.later
    last = later["ts"].max()
    days = [last - dt.timedelta(hours=ctx.horizon + 24 * k) for k in range(1, 8)]  # after training
    kind = int(rng.integers(0, 16))
    cutoffs: Any = days
    if kind == 0:
        cutoffs = [d.isoformat() for d in days]
    elif kind == 1:
        cutoffs = [int(d.timestamp()) for d in days]
    elif kind == 2:
        cutoffs = [days[0]] * int(rng.integers(1, 60))
    elif kind == 3:
        cutoffs = [d.replace(tzinfo=None) for d in days]
    elif kind == 4:
        cutoffs = [None, *days]
    elif kind == 5:
        cutoffs = [d + dt.timedelta(days=int(pick(rng, [-400, 400, 40]))) for d in days]
    elif kind == 6:
        cutoffs = pick(rng, [[], "2024-03-20", days[0], np.array([d.replace(tzinfo=None) for d in days], dtype="datetime64[us]")])
    elif kind == 7:
        cutoffs = days[: int(rng.integers(1, 3))]
    kw = spoil_one(rng, {"method": "conformal", "by": "lead", "min_windows": 5},
                   {"method": ["isotonic", "bogus", None, 3], "by": ["level", "none", "bogus", None],
                    "min_windows": [1, 30, 0, -1, 2.5, "3", None]}, share=0.5)

    def case() -> Any:
        calibrated = ctx.model.calibrate(later, cutoffs, **kw)
        return calibrated.predict(later)

    return case


# ------------------------------------------------------------------------------ KPX and portfolios
_LEVEL_SETS: list[Any] = [(0.1, 0.5, 0.9), tuple(np.round(np.arange(1, 100) / 100, 2)), (0.5, 0.1, 0.9),
                          (0.1, 0.9), (0.0, 0.5, 1.0), "0.5", (0.1, 0.5, 0.5, 0.9), (0.1, np.nan, 0.9)]


def _quantiles(rng: np.random.Generator, shape: tuple[int, ...], top: float) -> np.ndarray:
    return np.sort(rng.uniform(0, top, shape), axis=-1)


def _spoil(rng: np.random.Generator, q: np.ndarray) -> Any:
    kind = int(rng.integers(0, 9))
    if kind == 0 and q.size:
        q.flat[int(rng.integers(0, q.size))] = pick(rng, [np.nan, np.inf, -np.inf, 1e300, -1e30])
    elif kind == 1 and q.shape[-1] > 1:
        q = q[..., ::-1].copy()  # crossing
    elif kind == 2:
        return q.tolist() if rng.random() < 0.5 else "abc"
    elif kind == 3:
        return q[..., :-1]
    elif kind == 4:
        return float(q.flat[0]) if q.size else 1.0
    elif kind == 5:
        q = -q
    return q


def _submission(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    from energyai.market.submission import best_submission

    good_levels = pick(rng, _LEVEL_SETS[:2])
    n = int(pick(rng, [0, 1, 24, 24, 48]))
    cap = float(pick(rng, [1.0, 100.0, 5000.0]))
    q = _quantiles(rng, (n, len(good_levels)), cap * 1.1)
    kw = spoil_one(rng, {"quantiles": q, "levels": good_levels, "capacity": cap, "grid": 101, "n_samples": 200,
                         "chunk": 256, "units": "kW"},
                   {"quantiles": [_spoil(rng, q.copy())], "levels": _LEVEL_SETS[2:],
                    "capacity": [np.full(n, cap), np.full(n + 1, cap), -cap, 0.0, np.nan, "x", np.full((n, 1), cap)],
                    "grid": [2, 1, 0, -1, 2.5, 10**7], "n_samples": [10, 9, 10**7], "chunk": [1, 0, -1, 2.5, 10**9],
                    "units": ["MW", "W", "bogus"]})
    q, levels, capacity = kw.pop("quantiles"), kw.pop("levels"), kw.pop("capacity")
    return lambda: best_submission(q, levels, capacity, **kw).value


def _portfolio(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    from energyai.market.portfolio import portfolio_quantiles

    good_levels = pick(rng, _LEVEL_SETS[:2])
    plants, hours = int(rng.integers(1, 5)), int(pick(rng, [0, 1, 12, 24]))
    q = _quantiles(rng, (plants, hours, len(good_levels)), 10.0)
    if rng.random() < 0.3:
        q = q - 8.0  # net load: negative plants
    method = pick(rng, ["comonotonic", "independent", "empirical", "empirical"])
    kw = spoil_one(rng, {"q": q, "levels": good_levels, "method": method, "template": rng.random((300, plants)),
                         "lower": None, "upper": None, "n_samples": 200},
                   {"q": [_spoil(rng, q.copy())], "levels": _LEVEL_SETS[2:], "method": ["gaussian", None],
                    "template": [None, rng.random((10, plants)), rng.random((300, plants + 1)), "pit"],
                    "lower": [0.0, -1.0, [0.0] * plants, "x", np.nan],
                    "upper": [10.0, [5.0] * plants, [1.0] * (plants + 1), -1.0],
                    "n_samples": [50, 2, 1, 0, 2.5, 10**6]})
    q, levels = kw.pop("q"), kw.pop("levels")
    return lambda: portfolio_quantiles(q, levels, **kw)


# ------------------------------------------------------------------------------ streaming
def _reading(rng: np.random.Generator, value: float) -> Any:
    if rng.random() > 0.01:
        return value
    return pick(rng, [np.nan, np.inf, 1e19, -1e30, "abc", None, [1.0, 2.0], np.float32(3.0), 10**400])


def _stamp(rng: np.random.Generator, t: int) -> Any:
    if rng.random() > 0.01:
        return np.datetime64(t, "s")
    return pick(rng, [np.datetime64(t - 3600, "s"), np.datetime64(t + 1800, "s"), "yesterday", None, t, 2**62,
                      np.array([t, t]).astype("datetime64[s]"), np.datetime64(t, "s").astype(str)])


def _stream(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    from energyai.runtime import StreamingForecaster

    options = spoil_one(rng, {"recalibrate": pick(rng, [0, 24, 48]), "min_windows": pick(rng, [2, 3, 12])},
                        {"recalibrate": [-1, 2.5, "24"], "min_windows": [1, 30, 0, -2, 2.5]}, share=0.2)
    steps = int(rng.integers(ctx.context - 5, ctx.context + 3 * ctx.horizon))
    t0 = 1_709_251_200
    readings = [(_stamp(rng, t0 + 3600 * i), _reading(rng, 100 + 20 * np.sin(i * 2 * np.pi / 24)))
                for i in range(steps)]
    capacity = pick(rng, [None] * 8 + [500.0, -1.0, np.nan])

    def case() -> Any:
        stream = StreamingForecaster(ctx.runtime, series="s0", **options)
        out = None
        for i, (t, v) in enumerate(readings):
            stream.update(t, v)
            if i >= ctx.context and i % 7 == 0:
                out = stream.forecast(capacity=capacity)
        return out

    return case


# ------------------------------------------------------------------------------ CLI paths
def _runtime_csv(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    from tests.fuzz.harness import _mutate_bytes

    data = ctx.tail_csv_bytes
    kind = int(rng.integers(0, 4))
    if kind == 0:  # a duplicated header
        head, _, rest = data.partition(b"\n")
        data = head + b",load\n" + b"\n".join(line + b",1" for line in rest.split(b"\n") if line) + b"\n"
    elif kind == 1:
        data = _mutate_bytes(rng, data)
    elif kind == 2:
        data = data.replace(b"s0", "전력".encode("cp949"), 1)  # non-UTF-8 bytes
    path, out = tmp / "history.csv", tmp / "forecast.csv"
    path.write_bytes(data)
    argv = ["predict", str(ctx.onnx), "--data", str(path), "-o", str(out)]
    return lambda: _cli(argv)


_CONFIG = """data:
  path: {csv}
  schema: {{timestamp: ts, target: load, series_id: site, freq: 1h, tz: UTC}}
model: {{name: dlinear, context_length: 48, horizon: 12}}
trainer: {{max_steps: 2, batches_per_epoch: 1, batch_size: 8, val_size: 0, seed: 0}}
"""

_YAML_SPOILERS = ["trainer: {max_steps: -1}", "trainer: {batch_size: 1000000000000}", "trainer: {learning_rate: x}",
                  "model: {name: nope}", "model: {name: dlinear, horizon: 0}", "data: {path: /dev/zero}",
                  "extra: 1", "a: &x [1, 2]\nb: *x", "k: !!python/object/apply:os.system [ls]", "trainer: [",
                  "trainer: {max_steps: 1e9}", "model: {name: dlinear, context_length: 2.5}", "data: 3", "",
                  "trainer: {quantiles: '0.5'}"]
_SETS = ["trainer.max_steps=1", "trainer.max_steps=x", "model.horizon=-3", "x=[", "trainer.batch_size=1e9",
         "nokey", "trainer.seed=null", "model.config.hidden=8"]


def _cli_yaml(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    text = _CONFIG.format(csv=ctx.csv)
    if rng.random() < 0.7:
        spoil = pick(rng, _YAML_SPOILERS)
        lines = text.splitlines()
        section = spoil.split(":", 1)[0]
        lines = [line for line in lines if not line.startswith(section + ":")] if rng.random() < 0.6 else lines
        text = "\n".join([*lines, spoil]) + "\n"
    cfg = tmp / "run.yaml"
    cfg.write_text(text)
    sets = [pick(rng, _SETS) for _ in range(int(rng.integers(0, 3)))]
    argv = ["fit", "-c", str(cfg), "--out", str(tmp / f"run{int(rng.integers(1 << 30))}")]
    if sets:
        argv += ["--set", *sets]
    return lambda: _cli(argv)


# ------------------------------------------------------------------------------ released models, presets
def _pretrained(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    import energyai as ea

    good = pick(rng, [{"name": "load-base", "tz": "Asia/Seoul", "holidays": "KR", "solar_site": None},
                      {"name": "solar-base", "tz": None, "holidays": None, "solar_site": (35.2, 126.9)},
                      {"name": "gb-demand-dlinear", "tz": None, "holidays": None, "solar_site": None},
                      {"name": str(ctx.folder), "tz": None, "holidays": None, "solar_site": None}])
    kw = spoil_one(rng, good, {"name": [None, "", "nope", 3, str(tmp), "../etc", "/dev/zero"],
                               "tz": ["America/Chicago", "Mars/Base", 5], "holidays": ["US", "XX", 3],
                               "solar_site": [(95.0, 0.0), "x", (1.0,), (35.2, 126.9)]})
    name = kw.pop("name")
    return lambda: ea.Forecaster.from_pretrained(name, **kw).describe() and None


_PRESET_OVERRIDES: dict[str, list[Any]] = {
    "issue_time": ["10:00", "25:00", "10:07", 10, None, "00:00"], "freq": ["1h", "15min", "1d", "bogus", 3],
    "days_ahead": [1, 2, 0, -1, 2.5, "2"], "tz": [None, "Asia/Seoul", "Europe/London", "Mars/Base"],
    "quantiles": [(0.1, 0.5, 0.9), "0.5", (0.5,), (1.2,), (), (0.9, 0.1, 0.5)],
    "ensemble": [1, 3, 0, -1, True, [{"seed": 1}], [{"model": "bogus"}], "3", [{"seed": "x"}]],
    "max_steps": [10, "auto", 0, -5, 1e30], "learning_rate": [1e-3, -1.0, 0.0, float("nan")],
    "unknown_option": [1],
}


def _preset(rng: np.random.Generator, ctx: Any, tmp: Path) -> Any:
    import energyai as ea

    name = pick(rng, ["day-ahead-load", "day-ahead-solar", "day-ahead-wind"] * 3 + ["bogus", None, 3])
    keys = [k for k in _PRESET_OVERRIDES if rng.random() < 0.15]
    overrides = {k: pick(rng, _PRESET_OVERRIDES[k]) for k in keys}
    return lambda: ea.Forecaster.preset(name, **overrides).check().get_params() and None
