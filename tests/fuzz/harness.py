"""A fuzz harness over energyai's input paths (issue 14).

Every generated case must end in a finite result or a typed energyai error
(:class:`energyai.exceptions.EnergyAIError`). Anything else, an untyped exception or a NaN
or infinite forecast returned without an error, is a failure. Used with a small budget by
``tests/fuzz/test_fuzz.py`` and with a large one by ``benchmarks/fuzz.py``.

Targets
-------
read_csv         mutated CSV bytes (ragged rows, stray quotes, binary, empty), folders
validate         frames with bad dtypes, nulls, NaN, inf, huge values, duplicates, far or
                 naive timestamps, empty frames, bad schemas
predict          ``Forecaster.predict`` on mutated history (gaps, short, NaN, huge, dtypes)
onnx_predict     ``OnnxForecaster.predict`` on mutated columns
predict_arrays   ``OnnxForecaster.predict_arrays`` on mutated arrays, timestamps, capacity
covariates       future covariates of a TiDE model, mutated (NaN, inf, 1e30, far outside
                 training, wrong shapes, missing columns), through ``Forecaster.predict_arrays``
                 and ``OnnxForecaster.predict_arrays`` alike
load             ``Forecaster.load`` on damaged folders (flips, cuts, deletions, edits)
onnx_load        ``OnnxForecaster`` on damaged files (flips, cuts, appends, metadata edits)

and the targets of :mod:`tests.fuzz.surfaces` (calibrate, best_submission, portfolio,
stream, runtime_csv, cli_yaml, from_pretrained, preset). Cases are split over the targets
by :data:`tests.fuzz.surfaces.WEIGHTS` (a valid ``cli_yaml`` case trains a model).

All data here is synthetic (for testing only).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from energyai.exceptions import EnergyAIError
from tests.fuzz.surfaces import SURFACE_TARGETS, WEIGHTS, surface_case

TARGETS = ("read_csv", "validate", "predict", "onnx_predict", "predict_arrays", "covariates", "load", "onnx_load",
           *SURFACE_TARGETS)


@dataclass
class Tally:
    """Outcome counts of one target, with the first few failures kept for the report."""

    counts: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: str, detail: str = "") -> None:
        self.counts[outcome] += 1
        if outcome in ("untyped", "nonfinite") and len(self.failures) < 10:
            self.failures.append(detail)


def run_case(fn: Callable[[], Any], tally: Tally, label: str) -> None:
    """Run one case: 'ok' (finite result), 'typed' (an EnergyAIError) or a failure."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result = fn()
    except EnergyAIError as exc:
        tally.add("typed")
        tally.counts[f"typed:{type(exc).__name__}"] += 1
        return
    except Exception as exc:  # the failure this harness exists to find
        tally.add("untyped", f"{label}: {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]}")
        return
    if not _finite(result):
        tally.add("nonfinite", f"{label}: returned a non-finite forecast")
        return
    tally.add("ok")


def _finite(result: Any) -> bool:
    if result is None:
        return True
    values = getattr(result, "values", None)
    if isinstance(values, np.ndarray):
        return bool(np.isfinite(values).all())
    if hasattr(result, "columns") and "forecast" in getattr(result, "columns", []):
        import polars as pl

        cols = [c for c in result.columns if c == "forecast" or c.startswith("q")]
        return bool(result.select(pl.all_horizontal(pl.col(cols).is_finite().fill_null(False))).to_series().all())
    return True


# --------------------------------------------------------------------------- synthetic data
L, H = 48, 12


def synthetic_frame(rng: np.random.Generator, days: int = 6, series: int = 1):
    """A synthetic hourly load frame (for testing only)."""
    import polars as pl

    frames = []
    for s in range(series):
        t = pl.datetime_range(pl.datetime(2024, 3, 1), pl.datetime(2024, 3, 1) + pl.duration(hours=24 * days - 1),
                              "1h", time_zone="UTC", eager=True)
        n = t.len()
        y = 100 + 20 * np.sin(np.arange(n) * 2 * np.pi / 24) + rng.normal(0, 2, n)
        frames.append(pl.DataFrame({"site": [f"s{s}"] * n, "ts": t, "load": y,
                                    "temp": 10 + rng.normal(0, 3, n)}))
    return pl.concat(frames)


class Context:
    """Shared fixtures: a fitted tiny model, its saved folder and exported file."""

    def __init__(self, workdir: Path, seed: int = 0) -> None:
        import energyai as ea

        self.dir = workdir
        rng = np.random.default_rng(seed)
        self.frame = synthetic_frame(rng, days=20, series=2)
        self.schema = ea.Schema(timestamp="ts", target="load", series_id="site", freq="1h")
        self.model = ea.Forecaster("dlinear", context_length=L, horizon=H, max_steps=10, seed=seed).fit(
            self.frame, self.schema)
        self.folder = workdir / "model"
        self.model.save(self.folder)
        self.onnx = workdir / "model.onnx"
        self.model.export(self.onnx)
        self.onnx_bytes = self.onnx.read_bytes()
        from energyai.runtime import OnnxForecaster

        self.runtime = OnnxForecaster(self.onnx)
        cov_schema = self.schema.with_(future_covariates=("temp",))
        self.cov_model = ea.Forecaster("tide", context_length=L, horizon=H, max_steps=5, seed=seed,
                                       hidden=16).fit(self.frame, cov_schema)
        self.cov_model.export(workdir / "cov.onnx")
        self.cov_runtime = OnnxForecaster(workdir / "cov.onnx")
        self.csv = workdir / "history.csv"
        self.frame.write_csv(self.csv)
        self.csv_bytes = self.csv.read_bytes()
        self.context, self.horizon = L, H
        self.later = synthetic_frame(np.random.default_rng(seed + 1), days=28, series=2)  # origins after training
        self.tail_csv_bytes = self.frame.group_by("site", maintain_order=True).tail(L).write_csv().encode()


# --------------------------------------------------------------------------- mutations
def _mutate_bytes(rng: np.random.Generator, data: bytes) -> bytes:
    b = bytearray(data)
    kind = rng.integers(0, 8)
    if kind == 0 and b:  # flip bytes
        for i in rng.integers(0, len(b), rng.integers(1, 6)):
            b[int(i)] = int(rng.integers(0, 256))
    elif kind == 1:  # cut
        b = b[: int(rng.integers(0, len(b) + 1))]
    elif kind == 2:  # insert junk
        at = int(rng.integers(0, len(b) + 1))
        b[at:at] = bytes(rng.integers(0, 256, rng.integers(1, 40)).astype(np.uint8))
    elif kind == 3:  # ragged: drop a comma on a line or add one
        lines = bytes(b).split(b"\n")
        i = int(rng.integers(0, max(len(lines), 1)))
        if lines:
            lines[i] = lines[i].replace(b",", b"", 1) if rng.random() < 0.5 else lines[i] + b",x"
        b = bytearray(b"\n".join(lines))
    elif kind == 4:  # stray quote
        at = int(rng.integers(0, len(b) + 1))
        b[at:at] = b'"'
    elif kind == 5:  # non-UTF-8
        at = int(rng.integers(0, len(b) + 1))
        b[at:at] = b"\xff\xfe\xc3"
    elif kind == 6:  # empty or header only
        b = bytearray(bytes(b).split(b"\n")[0] + b"\n") if rng.random() < 0.5 else bytearray()
    else:  # swap two lines (unsorted, duplicates after a cut)
        lines = bytes(b).split(b"\n")
        if len(lines) > 2:
            i, j = rng.integers(1, len(lines), 2)
            lines[int(i)] = lines[int(j)]
        b = bytearray(b"\n".join(lines))
    return bytes(b)


_VALUES = (np.nan, np.inf, -np.inf, 1e19, -1e30, 3e38, 1e-30, 0.0, -5.0, 1e15)


def _mutate_frame(rng: np.random.Generator, df: Any, schema: Any) -> tuple[Any, Any]:
    import polars as pl

    import energyai as ea

    kind = int(rng.integers(0, 16))
    n = df.height
    if kind == 0:  # drop random rows (gaps)
        keep = rng.random(n) > rng.uniform(0.01, 0.5)
        return df.filter(pl.Series(keep)), schema
    if kind == 1:  # special values in the target
        y = df["load"].to_numpy().copy()
        y[rng.integers(0, n, rng.integers(1, 5))] = rng.choice(_VALUES)
        return df.with_columns(pl.Series("load", y)), schema
    if kind == 2:  # nulls
        mask = rng.random(n) < rng.uniform(0, 1)
        return df.with_columns(pl.when(pl.Series(mask)).then(None).otherwise(pl.col("load")).alias("load")), schema
    if kind == 3:  # duplicate rows
        return pl.concat([df, df.sample(int(rng.integers(1, 5)), seed=int(rng.integers(1 << 30)))]), schema
    if kind == 4:  # shuffled
        return df.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 30))), schema
    if kind == 5:  # naive timestamps, with or without a zone in the schema
        out = df.with_columns(pl.col("ts").dt.replace_time_zone(None))
        return out, schema.with_(tz=str(rng.choice(["Asia/Seoul", "Europe/London", "UTC"]))) \
            if rng.random() < 0.5 else schema.with_(tz=None)
    if kind == 6:  # a column of the wrong dtype
        col = str(rng.choice(["load", "ts", "site"]))
        return df.with_columns(pl.col(col).cast(pl.String)), schema
    if kind == 7:  # an empty or tiny frame
        return df.head(int(rng.integers(0, 3))), schema
    if kind == 8:  # far timestamps
        shift = int(rng.choice([2**40, -2**38, 10**11]))
        return df.with_columns((pl.col("ts").dt.epoch("s") + shift).mul(1_000_000).cast(
            pl.Datetime("us", "UTC")).alias("ts")), schema
    if kind == 9:  # a missing column
        return df.drop(str(rng.choice(["load", "ts", "site"]))), schema
    if kind == 10:  # off-grid times
        return df.with_columns((pl.col("ts") + pl.duration(minutes=int(rng.integers(1, 59)))).alias("ts")) \
            if rng.random() < 0.3 else df.with_columns(
                pl.when(pl.int_range(pl.len()) == int(rng.integers(0, n))).then(
                    pl.col("ts") + pl.duration(minutes=17)).otherwise(pl.col("ts")).alias("ts")), schema
    if kind == 11:  # a whole series constant, zero, tiny or huge
        scale = float(rng.choice([0.0, 1e-30, 1e12, 1e18]))
        return df.with_columns((pl.col("load") * 0 + scale if rng.random() < 0.5 else pl.col("load") * scale)
                               .alias("load")), schema
    if kind == 12:  # null ids or timestamps
        col = str(rng.choice(["ts", "site"]))
        return df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col(col)).alias(col)), schema
    if kind == 13:  # a bad schema
        try:
            return df, ea.Schema(timestamp="ts", target=str(rng.choice(["load", "nope"])), series_id="site",
                                 freq=str(rng.choice(["1h", "7min", "1d", "bogus"])))
        except EnergyAIError:
            return df, schema
    if kind == 14:  # integer or boolean target
        return df.with_columns(pl.col("load").cast(pl.Int64 if rng.random() < 0.5 else pl.Boolean)), schema
    return df, schema  # the clean case


def _array_case(rng: np.random.Generator, ctx: Context) -> dict[str, Any]:
    n = int(rng.choice([L, L, L + 5, L - 1, 0, 1, 2 * L]))
    t = 1_709_251_200 + 3600 * np.arange(n, dtype=np.int64)
    y = (100 + 20 * np.sin(np.arange(n) * 2 * np.pi / 24)).astype(np.float32)
    kw: dict[str, Any] = {}
    kind = int(rng.integers(0, 12))
    if kind == 0 and n:
        y[rng.integers(0, n, rng.integers(1, 4))] = rng.choice(_VALUES)
    elif kind == 1 and n:
        y[: int(rng.integers(0, n))] = np.nan
    elif kind == 2 and n > 2:
        t[int(rng.integers(1, n))] += int(rng.choice([1, 1800, -3600, 7200]))
    elif kind == 3:
        t = t + int(rng.choice([2**40, -2**40, 10**12]))
    elif kind == 4:
        y = y.astype(rng.choice([np.float64, np.int32, np.float16]))
    elif kind == 5:
        t = t.astype("datetime64[s]").astype(str)
    elif kind == 6:
        kw["capacity"] = rng.choice([np.nan, -5.0, 0.0, np.inf, 1e30])
    elif kind == 7:
        y = np.stack([y, y * 2])
        t = np.stack([t, t]) if rng.random() < 0.5 else t
    elif kind == 8:
        y = y.reshape(1, 1, -1)
    elif kind == 9:
        t = t[::-1].copy()
    elif kind == 10:
        y = np.array(["x"] * n)
    elif kind == 11 and n:
        t = t.astype(object)
        t[0] = None
    return {"target": y, "timestamps": t, **kw}


# --------------------------------------------------------------------------- targets
def fuzz_target(name: str, ctx: Context, cases: int, seed: int = 0) -> Tally:
    """Run ``cases`` generated cases of one target and count their outcomes."""
    import energyai as ea

    rng = np.random.default_rng([seed, TARGETS.index(name)])
    tally = Tally()
    tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-", dir=ctx.dir))
    try:
        for k in range(cases):
            label = f"{name} case {k} (seed {seed})"
            if name == "read_csv":
                path = tmp / "case.csv"
                if rng.random() < 0.03:
                    run_case(lambda: ea.read_csv(tmp, ctx.schema), tally, label)
                    continue
                path.write_bytes(_mutate_bytes(rng, ctx.csv_bytes))
                run_case(lambda path=path: ea.read_csv(path, ctx.schema if rng.random() < 0.8 else None),
                         tally, label)
            elif name == "validate":
                df, schema = _mutate_frame(rng, ctx.frame, ctx.schema)
                run_case(lambda df=df, schema=schema: ea.validate(df, schema), tally, label)
            elif name == "predict":
                df, schema = _mutate_frame(rng, ctx.frame.filter(ctx.frame["site"] == "s0").tail(L + 10),
                                           ctx.schema)
                fb = str(rng.choice(["seasonal", "none", "raise", "persistence"]))
                run_case(lambda df=df, fb=fb: ctx.model.predict(df, fallback=fb), tally, label)
            elif name == "onnx_predict":
                df, _ = _mutate_frame(rng, ctx.frame.tail(L + 10), ctx.schema)
                cols = {c: df[c].to_numpy() for c in df.columns}
                if rng.random() < 0.2 and "load" in cols:
                    cols["load"] = cols["load"][: int(rng.integers(0, len(cols["load"]) + 1))]
                run_case(lambda cols=cols: ctx.runtime.predict(cols), tally, label)
            elif name == "predict_arrays":
                kw = _array_case(rng, ctx)
                run_case(lambda kw=kw: ctx.runtime.predict_arrays(**kw), tally, label)
            elif name == "covariates":
                y, t, fut = _covariate_case(rng)
                if rng.random() < 0.5:
                    run_case(lambda y=y, t=t, fut=fut: ctx.cov_runtime.predict_arrays(y, t, future_covariates=fut),
                             tally, label)
                else:
                    utc = t[-1] + 3600 * np.arange(-L + 1, H + 1, dtype=np.int64)
                    arr = fut if isinstance(fut, np.ndarray) else fut.get("temp") if isinstance(fut, dict) else fut
                    run_case(lambda y=y, utc=utc, arr=arr: ctx.cov_model.predict_arrays(
                        past_target=np.asarray(y, np.float32)[None, -L:], utc_time=utc[None],
                        future_covariates=None if arr is None else np.asarray(arr, np.float32).reshape(1, -1, 1)),
                        tally, label)
            elif name == "load":
                folder = tmp / "m"
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(ctx.folder, folder)
                _damage_folder(rng, folder)
                verify = rng.random() < 0.8
                run_case(lambda folder=folder, verify=verify: ea.Forecaster.load(folder, verify=verify).predict(
                    ctx.frame.tail(L)), tally, label)
            elif name == "onnx_load":
                from energyai.runtime import OnnxForecaster

                path = tmp / "m.onnx"
                path.write_bytes(_damage_onnx(rng, ctx.onnx_bytes))
                run_case(lambda path=path: OnnxForecaster(path).predict(
                    {c: ctx.frame.tail(L)[c].to_numpy() for c in ("site", "ts", "load")}), tally, label)
            elif name in SURFACE_TARGETS:
                run_case(surface_case(name, rng, ctx, tmp), tally, label)
            else:
                raise ValueError(f"unknown target {name}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally


def _covariate_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Any]:
    t = 1_709_251_200 + 3600 * np.arange(L, dtype=np.int64)
    y = (100 + 20 * np.sin(np.arange(L) * 2 * np.pi / 24)).astype(np.float32)
    fut = (10 + 3 * np.sin(np.arange(L + H) / 5)).astype(np.float32)
    kind = int(rng.integers(0, 8))
    if kind == 0:
        fut[rng.integers(0, L + H, rng.integers(1, 4))] = rng.choice([np.nan, np.inf, -np.inf])
    elif kind == 1:
        fut[int(rng.integers(0, L + H))] = rng.choice([1e30, -1e19, 3e38, 1e8, -1e7])
    elif kind == 2:
        fut = fut[: int(rng.integers(0, L + H))]
    elif kind == 3:
        return y, t, {"other": fut}
    elif kind == 4:
        return y, t, None
    elif kind == 5:
        return y, t, fut.reshape(1, -1, 1).repeat(2, axis=2)
    elif kind == 6:
        fut = fut * float(rng.choice([1e3, 1e-3, -1.0]))  # unit mistakes within range: a forecast
    return y, t, fut[None, :, None] if rng.random() < 0.5 else {"temp": fut}


def _damage_folder(rng: np.random.Generator, folder: Path) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    f = files[int(rng.integers(0, len(files)))]
    kind = int(rng.integers(0, 5))
    if kind == 0:
        f.write_bytes(_mutate_bytes(rng, f.read_bytes()))
    elif kind == 1:
        f.unlink()
    elif kind == 2 and f.name == "config.json":
        cfg = json.loads(f.read_text())
        cfg["params"]["horizon"] = int(rng.choice([0, -1, 10**9, 13]))
        f.write_text(json.dumps(cfg))
    elif kind == 3:
        f.write_bytes(b"")
    # kind 4 (and 2 on another file): left intact


def _damage_onnx(rng: np.random.Generator, payload: bytes) -> bytes:
    b = bytearray(payload)
    kind = int(rng.integers(0, 4))
    if kind == 0:
        b[int(rng.integers(0, len(b)))] ^= int(rng.integers(1, 256))
    elif kind == 1:
        b = b[: int(rng.integers(0, len(b)))]
    elif kind == 2:
        b += bytes(rng.integers(0, 256, rng.integers(1, 100)).astype(np.uint8))
    else:  # a flip inside the metadata and digest region at the end
        b[len(b) - int(rng.integers(1, min(4096, len(b))))] ^= 0x20
    return bytes(b)


def run(cases: int, seed: int = 0, targets: tuple[str, ...] = TARGETS, workdir: Path | None = None,
        weights: dict[str, float] | None = None) -> dict[str, Tally]:
    """``cases`` cases split over ``targets`` by ``weights`` (default :data:`WEIGHTS`, 1 for a
    target not named; ``{}`` splits evenly); the tallies by target."""
    weights = WEIGHTS if weights is None else weights
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="energyai-fuzz-")) if own else Path(workdir)
    try:
        ctx = Context(work, seed)
        share = cases / sum(weights.get(t, 1.0) for t in targets)
        return {t: fuzz_target(t, ctx, max(round(share * weights.get(t, 1.0)), 1), seed) for t in targets}
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
