"""The architecture's rules as tests: import tiers, the tensor contract, the artifact format,
and one timestamp convention shared by torch and the runtime."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from energyai import contract
from energyai.artifact import FORMAT, ModelInfo
from energyai.exceptions import ArtifactError, TimestampError
from energyai.timeutil import local_to_utc, to_utc_seconds

PKG = Path(__file__).resolve().parents[1] / "energyai"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _files(*parts: str) -> list[Path]:
    base = PKG.joinpath(*parts)
    return sorted(base.rglob("*.py")) if base.is_dir() else [base]


def test_nothing_outside_cli_imports_the_cli():
    bad = [f"{p.relative_to(PKG)} -> {m}" for p in _files() if "cli" not in p.relative_to(PKG).parts
           for m in _imports(p) if m == "energyai.cli" or m.startswith("energyai.cli.")]
    assert not bad, bad


def test_data_tier_never_imports_models_training_or_export():
    banned = ("energyai.nn", "energyai.models", "energyai.training", "energyai.export", "torch", "lightning")
    bad = [f"{p.relative_to(PKG)} -> {m}" for p in _files("data") for m in _imports(p)
           if any(m == b or m.startswith(b + ".") for b in banned)]
    assert not bad, bad


@pytest.mark.parametrize("module", ["contract.py", "artifact.py", "assemble.py", "timeutil.py", "runtime", "market"])
def test_numpy_core_and_runtime_never_import_polars_torch_or_lightning(module):
    banned = ("torch", "lightning", "polars", "pandas")
    # RuntimeForecast.to_frame builds a polars (or pandas) frame when the caller asks for one
    allowed = {"runtime/result.py": {"polars", "pandas"}}
    bad = [f"{p.relative_to(PKG)} -> {m}" for p in _files(module) for m in _imports(p)
           if m.split(".")[0] in banned and m.split(".")[0] not in allowed.get(str(p.relative_to(PKG)), set())]
    assert not bad, bad
    # and at run time, in a fresh interpreter
    name = "energyai." + module.removesuffix(".py")
    code = (f"import sys, {name}; bad = [m for m in ('torch', 'lightning', 'polars', 'pandas') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_module_over_500_lines():
    long = {str(p.relative_to(PKG)): n for p in _files() if (n := len(p.read_text().splitlines())) > 500}
    assert not long, long


def test_no_function_over_80_lines():
    long = [f"{p.relative_to(PKG)}:{node.name} ({node.end_lineno - node.lineno + 1})" for p in _files()
            for node in ast.walk(ast.parse(p.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > 80]
    assert not long, long


def test_batch_fields_are_the_contract_inputs_then_the_targets():
    assert contract.Batch._fields == (*contract.NAMES, "future_target", "future_observed", "weight")
    assert [i.name for i in contract.graph_inputs(contract.NAMES)] == [
        n for n in contract.NAMES if n != "past_observed"]


def test_assembler_makes_every_input_in_its_declared_dtype_and_shape():
    from energyai.assemble import assemble

    B, L, H, P, F, S = 3, 6, 2, 2, 1, 4
    rng = np.random.default_rng(0)
    utc = 1_600_000_000 + 3600 * np.arange(L + H)[None, :].repeat(B, 0)
    target = rng.normal(size=(B, L)).astype(np.float32)
    target[0, 1] = np.nan
    w = contract.Window(target=target, utc=utc, tz="Asia/Seoul", past=np.zeros((B, L, P), np.float32),
                        future=np.zeros((B, L + H, F), np.float32), static=np.zeros((B, S), np.float32))
    feeds = assemble(w, contract.NAMES)
    sizes = {"B": B, "L": L, "H": H, "L+H": L + H, "P": P, "F": F, "S": S}
    for inp in contract.INPUTS:
        assert feeds[inp.name].dtype == np.dtype(inp.dtype), inp.name
        assert feeds[inp.name].shape == tuple(int(d) if d.isdigit() else sizes[d] for d in inp.dims), inp.name
    assert feeds["past_observed"][0, 1] == 0 and feeds["past_observed"].sum() == B * L - 1
    np.testing.assert_array_equal(feeds["local_time"] - feeds["utc_time"], 9 * 3600)  # KST, no DST
    assert np.isinf(feeds["capacity"]).all()


def _info(**changes: object) -> ModelInfo:
    base = ModelInfo(
        format=FORMAT, version="0.1.0", model="nhits", context_length=48, horizon=24, freq="1h", freq_seconds=3600,
        tz="Asia/Seoul", inputs=[contract.input_spec(contract.get("past_target"), _Schema(), 48, 24)],
        quantiles=(0.1, 0.5, 0.9), median_index=1,
        capacity={"input": False, "default": None, "column": None, "nonnegative": True, "clipping": "at 0"},
        calendar=True, schema={"target": "load", "timestamp": "ts", "units": "kW"}, config={"hidden": 64},
        data_sha256="ab" * 32, created="2026-11-30T00:00:00+00:00", quantization="none", opset=20,
        parity={"checks": {}}, solar={"latitude": 35.1, "longitude": 126.9, "altitude": 0.0, "linke_turbidity": 3.0},
        torch_version="2.13.0",
    )
    return dataclasses.replace(base, **changes)


@dataclasses.dataclass
class _Schema:
    target: str = "load"
    units: str = "kW"
    tz: str = "Asia/Seoul"
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    static_covariates: tuple[str, ...] = ()


def test_artifact_metadata_round_trips_and_gates_its_format():
    info = _info()
    props = info.to_metadata()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in props.items())
    assert ModelInfo.from_metadata(props) == info
    assert ModelInfo.from_metadata(_info(solar=None).to_metadata()).solar is None
    with pytest.raises(ArtifactError, match="not supported"):
        ModelInfo.from_metadata({**props, "energyai.format": "energyai.onnx/99"})
    with pytest.raises(ArtifactError, match="no energyai metadata"):
        ModelInfo.from_metadata({})
    broken = dict(props)
    del broken["energyai.horizon"]
    with pytest.raises(ArtifactError, match="incomplete or malformed"):
        ModelInfo.from_metadata(broken)


def test_naive_datetime64_is_local_time_and_dst_edges_are_refused():
    # hand-worked: 2021-06-01 09:00 in Seoul (UTC+9, no DST) is 00:00 UTC
    assert to_utc_seconds(np.array(["2021-06-01T09:00"], "datetime64[s]"), "Asia/Seoul")[0] == int(
        dt.datetime(2021, 6, 1, tzinfo=dt.timezone.utc).timestamp())
    assert to_utc_seconds(np.array(["2021-06-01T09:00"], "datetime64[s]"), "Asia/Seoul", naive="utc")[0] == int(
        dt.datetime(2021, 6, 1, 9, tzinfo=dt.timezone.utc).timestamp())
    # London: 2021-10-31 01:30 happens twice, 2021-03-28 01:30 never
    for wall in ("2021-10-31T01:30", "2021-03-28T01:30"):
        with pytest.raises(TimestampError, match="ambiguous or does not exist"):
            local_to_utc(np.array([np.datetime64(wall, "s").astype(np.int64)]), "Europe/London")
    # a row across the spring-forward change keeps one hour of UTC per local hour outside the gap
    local = np.array([np.datetime64(f"2021-03-28T{h:02d}:00", "s").astype(np.int64) for h in (0, 2, 3)])
    np.testing.assert_array_equal(np.diff(local_to_utc(local, "Europe/London")), [3600, 3600])


@pytest.mark.slow
def test_same_naive_frame_gives_the_same_forecast_in_torch_and_the_runtime(tmp_path):
    pl = pytest.importorskip("polars")
    pytest.importorskip("onnxscript")
    import energyai as ea
    from energyai.runtime import OnnxForecaster
    from tests.conftest import synthetic_hourly

    df = synthetic_hourly(21, 1, tz="Europe/London").drop("temp")
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="Europe/London")
    f = ea.Forecaster("nhits", context_length=48, horizon=12, calendar=True, max_steps=5, batch_size=16,
                      hidden=16, seed=0).fit(df, schema)
    f.export(tmp_path / "m.onnx")
    naive = df.tail(60).with_columns(pl.col("ts").dt.replace_time_zone(None))
    torch_fc = f.predict(naive)
    onnx_fc = OnnxForecaster(tmp_path / "m.onnx").predict(naive)
    scale = float(np.abs(torch_fc["q0.9"].to_numpy()).max())
    # the export parity gate's tolerance (energyai/export/parity.py): rtol 1e-4, atol 1e-5 x scale
    np.testing.assert_allclose(onnx_fc.median[0], torch_fc["forecast"].to_numpy(), rtol=1e-4, atol=1e-5 * scale)
    utc = torch_fc["ts"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy().astype("datetime64[s]")
    np.testing.assert_array_equal(onnx_fc.timestamps[0], utc)
    # the aware frame says the same instants, so it gives the same forecast
    np.testing.assert_array_equal(f.predict(df.tail(60))["forecast"].to_numpy(), torch_fc["forecast"].to_numpy())


def test_a_non_finite_forecast_is_never_returned():
    from energyai.assemble import check_output
    from energyai.exceptions import NonFiniteValueError

    check_output(np.zeros((2, 3, 1), np.float32), ["a", "b"])
    out = np.zeros((2, 3, 1), np.float32)
    out[1, 2, 0] = np.nan
    with pytest.raises(NonFiniteValueError, match="series 'b'"):
        check_output(out, ["a", "b"])
    out[1, 2, 0] = np.inf
    with pytest.raises(NonFiniteValueError, match="series 1"):
        check_output(out)


def test_runtime_refuses_inputs_it_does_not_take():
    from energyai.exceptions import ConfigError
    from energyai.runtime import OnnxForecaster

    model_file = PKG.parent / "models" / "gb-demand-dlinear" / "model.onnx"
    m = OnnxForecaster(model_file)
    y = np.full(336, 30000.0, np.float32)
    t = 966_000_000 + 1800 * np.arange(336)
    with pytest.raises(ConfigError, match="holiday_override"):
        m.predict_arrays(y, t, inputs={"holiday_override": np.zeros((1, 384, 4))})


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 1e30, -1.0, 2.0])
def test_holiday_override_values_outside_their_range_are_refused(bad):
    from energyai.assemble import assemble
    from energyai.exceptions import ConfigError

    B, L, H = 1, 4, 2
    utc = 1_600_000_000 + 3600 * np.arange(L + H)[None, :]
    override = np.full((B, L + H, 4), np.nan, np.float32)
    ok = contract.Window(target=np.zeros((B, L), np.float32), utc=utc, given={"holiday_override": override.copy()})
    assert np.isnan(assemble(ok, ["holiday_override"])["holiday_override"]).all()
    override[0, 3, 0] = bad
    w = contract.Window(target=np.zeros((B, L), np.float32), utc=utc, given={"holiday_override": override})
    with pytest.raises(ConfigError, match="'holiday' of series 0 at step 3"):
        assemble(w, ["holiday_override"])
    with pytest.raises(ConfigError, match="shape"):
        assemble(contract.Window(target=np.zeros((B, L), np.float32), utc=utc,
                                 given={"holiday_override": np.zeros((B, L, 4))}), ["holiday_override"])


def test_runtime_refuses_missing_or_empty_timestamps():
    pl = pytest.importorskip("polars")
    from energyai.runtime.inputs import frame_columns

    aware = pl.DataFrame({"ts": [dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc), None], "y": [1.0, 2.0]})
    with pytest.raises(TimestampError, match="1 missing timestamps"):
        frame_columns(aware)
    with pytest.raises(TimestampError, match="NaT"):
        to_utc_seconds(np.array(["2021-01-01T00:00", "NaT"], "datetime64[s]"), "Asia/Seoul")
    assert local_to_utc(np.zeros(0, np.int64), "Europe/London").shape == (0,)
