"""ONNX export and the torch-free runtime: latency, size, cold start, memory, install size.

For every registered architecture, at protocol v1 shapes (ETTh1 ``OT``, input 96, horizon
96, default architecture settings, quantiles 0.1/0.5/0.9), fp32 and dynamic int8:

- onnxruntime latency p50/p99 at batch 1 and 64, one thread, through the full
  ``OnnxForecaster.predict_arrays`` path (validation, time grid, feeds) and through the
  bare ``session.run`` (1,000 rounds after 50 warm-ups at batch 1; 200 after 20 at 64).
  The two alternate call by call: measured in separate blocks they drifted apart on a
  shared machine (one run showed LSTM's full path faster than its bare run);
- file size;
- cold start (process start, import, load, first forecast; wall time seen by the parent)
  and peak RSS of a process that imports only ``energyai.runtime`` (median of 5);
- ``Forecaster.predict`` through torch on the same window (median of 30 after 3), for the ratio;
- with ``--venv``: the installed size of a virtual environment made with only
  ``pip install ".[runtime]"``.

Latency does not depend on the weights; each model is trained for a few steps only
(``--steps``), on ETTh1 rows [0, 8640). The int8 metric change is measured on 64 real
training windows by the export's parity gate.

Run:  python benchmarks/onnx_runtime.py [--venv] [--runtime-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

COLD = r"""
import sys, numpy as np
from energyai.runtime import OnnxForecaster
m = OnnxForecaster(sys.argv[1], threads=1)
y = np.load(sys.argv[2])
fc = m.predict_arrays(y["y"], y["t"])
assert np.isfinite(fc.values).all()
heavy = [k for k in ("torch", "polars", "pandas", "lightning") if k in sys.modules]
# VmHWM: this process image's peak RSS (ru_maxrss would include the parent's, kept across exec)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(hwm / 1024, heavy)
"""


def pct(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1e3, q))


def venv_size() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = Path(tmp) / "rt"
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([str(env / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"{ROOT}[runtime]"],
                       check=True)
        site = next((env / "lib").glob("python*/site-packages"))

        def mb(p: Path) -> float:
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 1e6

        parts = {d.name: mb(d) for d in site.iterdir() if d.is_dir() and not d.name.endswith(".dist-info")}
        tooling = sum(v for k, v in parts.items() if k in ("pip", "setuptools", "_distutils_hack", "pkg_resources"))
        return {"site_packages_mb": round(mb(site), 1), "without_pip_setuptools_mb": round(mb(site) - tooling, 1),
                "venv_total_mb": round(mb(env), 1),
                "largest_mb": {k: round(v, 1) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])[:5]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=None, help="comma-separated (default: every registered model)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--venv", action="store_true", help="also measure a runtime-only virtual environment")
    ap.add_argument("--runtime-python", default=sys.executable,
                    help="python for the cold-start process (a runtime-only venv proves no torch is loaded)")
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(ROOT.parent / "shared" / "datasets")))
    ap.add_argument("--out", default=str(HERE / "results" / "onnx_runtime.json"))
    args = ap.parse_args()

    import polars as pl
    import torch

    import energyai as ea
    from energyai._timing import timed, timed_interleaved
    from energyai.forecaster import Forecaster
    from energyai.models import available_models
    from energyai.runtime import OnnxForecaster

    torch.set_num_threads(1)
    d = ea.datasets.load("ett_small", data_dir=args.data)
    df = d.frame.filter(pl.col("series") == "ETTh1").select("timestamp", "ot").sort("timestamp").head(8640)
    schema = ea.Schema(timestamp="timestamp", target="ot", freq="1h", tz="Asia/Shanghai", nonnegative=False)
    window = df.tail(96)
    y = window["ot"].to_numpy().astype(np.float32)
    # epoch seconds: UTC instants (a naive datetime64 would be read as local time in the model's zone)
    t = window["timestamp"].dt.epoch("s").to_numpy()
    y64 = np.repeat(y[None, :], 64, axis=0)
    results: dict[str, dict] = {}
    models = args.models.split(",") if args.models else available_models()
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "window.npz", y=y, t=t.astype(np.int64))
        for name in models:
            f = Forecaster(name, context_length=96, horizon=96, max_steps=args.steps, batches_per_epoch=args.steps,
                           progress_bar=False).fit(df, schema)
            params = sum(p.numel() for p in f.network_.parameters())
            torch_ms = statistics.median(timed(lambda: f.predict(window), 30, 3)) * 1e3  # noqa: B023
            row: dict = {"params": params, "torch_forecaster_predict_ms": round(torch_ms, 3)}
            for variant in ("fp32", "int8"):
                path = Path(tmp) / f"{name}_{variant}.onnx"
                rep = f.export(path, quantize="int8" if variant == "int8" else None)
                m = OnnxForecaster(path, threads=1)
                feeds1 = m.make_feeds(y, t)[0]
                feeds64 = m.make_feeds(y64, t)[0]
                # full path and bare session.run alternate call by call, so both see the same machine state
                full1, bare1 = timed_interleaved([lambda: m.predict_arrays(y, t),  # noqa: B023
                                                  lambda: m.session.run(None, feeds1)], 1000, 50)  # noqa: B023
                full64, bare64 = timed_interleaved([lambda: m.predict_arrays(y64, t),  # noqa: B023
                                                    lambda: m.session.run(None, feeds64)], 200, 20)  # noqa: B023
                colds, rss, heavy = [], [], None
                for _ in range(5):
                    t0 = time.perf_counter()
                    out = subprocess.run([args.runtime_python, "-c", COLD, str(path), str(Path(tmp) / "window.npz")],
                                         capture_output=True, text=True, check=True)
                    colds.append(time.perf_counter() - t0)
                    mb, heavy = out.stdout.strip().split(" ", 1)
                    rss.append(float(mb))
                row[variant] = {
                    "file_mb": round(rep.bytes / 1e6, 4),
                    "full_predict_ms": {"b1_p50": pct(full1, 50), "b1_p99": pct(full1, 99),
                                        "b64_p50": pct(full64, 50), "b64_p99": pct(full64, 99)},
                    "bare_session_ms": {"b1_p50": pct(bare1, 50), "b1_p99": pct(bare1, 99),
                                        "b64_p50": pct(bare64, 50), "b64_p99": pct(bare64, 99)},
                    "full_over_bare_b1": round(pct(full1, 50) / pct(bare1, 50), 2),
                    "full_over_bare_b64": round(pct(full64, 50) / pct(bare64, 50), 2),
                    "cold_start_s": round(statistics.median(colds), 3),
                    "cold_peak_rss_mb": round(statistics.median(rss), 1),
                    "cold_heavy_modules": heavy,
                    "torch_over_onnx_full_b1": round(torch_ms / pct(full1, 50), 1),
                    "parity_worst_over_limit": max(v["max_err_over_limit"] for v in rep.parity.checks.values()),
                    "int8": rep.parity.int8,
                }
            row["int8_size_ratio"] = round(row["fp32"]["file_mb"] / row["int8"]["file_mb"], 2)
            results[name] = row
            fp, q = row["fp32"], row["int8"]
            print(f"{name:9s} {params / 1e6:5.2f} M  fp32 {fp['file_mb']:6.3f} MB  full b1 p50 "
                  f"{fp['full_predict_ms']['b1_p50']:.3f} ms p99 {fp['full_predict_ms']['b1_p99']:.3f}  bare "
                  f"{fp['bare_session_ms']['b1_p50']:.3f} (x{fp['full_over_bare_b1']})  cold {fp['cold_start_s']:.3f} s {fp['cold_peak_rss_mb']:.0f} MB"
                  f" | int8 {q['file_mb']:6.3f} MB (x{row['int8_size_ratio']}) full b1 {q['full_predict_ms']['b1_p50']:.3f}"
                  f" MAE {100 * q['int8']['relative_mae_change']:+.3f}% | torch predict {torch_ms:.2f} ms", flush=True)
    report = {
        "protocol": "ETTh1 OT, L=96, H=96, quantiles 0.1/0.5/0.9, default architectures, 1 onnxruntime thread",
        "results": results,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "loadavg": os.getloadavg(),
                    "runtime_python": args.runtime_python},
        "versions": {"torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__},
        "command": "python benchmarks/onnx_runtime.py " + " ".join(sys.argv[1:]),
    }
    if args.venv:
        report["runtime_venv"] = venv_size()
        print("runtime-only venv:", report["runtime_venv"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
