"""Single-window predict latency of a trained Forecaster (protocol v1 shapes: ETTh1 OT, L=96, H=96).

Trains N-HiTS with the protocol v1 architecture (3 stacks, 2x512 MLP, pooling 2/2/1,
downsampling 4/2/1) for a few steps (latency does not depend on the weights), then
times, on one thread:
- ``Forecaster.predict(frame)`` on a 96-row polars frame: the public API, as the peers'
  library predict (a frame of one series that validation would pass unchanged is read with
  numpy, :mod:`energyai.clean_window`; other frames are validated and regularised with polars);
- ``Forecaster.predict_arrays`` on prepared arrays (the tensor contract);
- the ``ForecastNetwork`` called directly under ``torch.inference_mode``.
Median of 30 runs after 3 warm-ups (1,000 after 50 for the eager network), as PEER_PROTOCOL.md §6.
Then the released ``load-base`` (168 h in, 24 h out, with temperature), as issue 32 states it.

Run:  python benchmarks/predict_latency.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import torch

import energyai as ea
from energyai._timing import median_ms
from energyai.forecaster import Forecaster

HERE = Path(__file__).resolve().parent


def main() -> None:
    torch.set_num_threads(1)
    data = Path(os.environ.get("ENERGYAI_DATA", HERE.parent.parent / "shared" / "datasets"))
    d = ea.datasets.load("ett_small", data_dir=data)
    df = d.frame.filter(pl.col("series") == "ETTh1").select("timestamp", "ot").head(11520)
    schema = ea.Schema(timestamp="timestamp", target="ot", freq="1h", tz="Asia/Shanghai", nonnegative=False)
    f = Forecaster("nhits", context_length=96, horizon=96, quantiles=(), loss="mse", max_steps=5, calendar=False,
                   hidden=512, pool_kernels=(2, 2, 1), downsample=(4, 2, 1)).fit(df, schema)
    window = df.tail(96)
    t_api = median_ms(lambda: f.predict(window), 30, 3)
    arrays = (np.ascontiguousarray(window["ot"].to_numpy()[None, :], dtype=np.float32), np.ones((1, 96), np.float32),
              np.zeros((1, 96, 0), np.float32), np.zeros((1, 192, 0), np.float32),
              np.zeros((1, 192), np.int64), np.zeros((1, 0), np.float32), np.full((1, 96), np.inf, np.float32))
    t_arr = median_ms(lambda: f.predict_arrays(*arrays), 30, 3)
    tensors = [torch.from_numpy(a) for a in arrays]
    net = f.network_

    def eager():
        with torch.inference_mode():
            net(*tensors)

    t_eager = median_ms(eager, 1000, 50)
    result = {"forecaster_predict_ms": round(t_api, 3), "predict_arrays_ms": round(t_arr, 3),
              "torch_eager_ms": round(t_eager, 3), "params": sum(p.numel() for p in net.parameters()),
              "threads": 1, "torch": torch.__version__, "load_base": _load_base(data)}
    result["loadavg"] = os.getloadavg()
    result["command"] = "python benchmarks/predict_latency.py"
    print(json.dumps(result, indent=2))
    (HERE / "results" / "predict_latency.json").write_text(json.dumps(result, indent=2) + "\n")


def _load_base(data: Path) -> dict[str, float | int | str]:
    """``Forecaster.predict`` of the released load-base (168 h in, 24 h out, with temperature),
    pointed at GEFCom2014 load's zone and holidays: one series-id frame and its future
    temperatures, as a utility forecasting one feeder would call it (median of 200 calls)."""
    m = Forecaster.from_pretrained("load-base", tz="America/New_York", holidays="US")
    d = ea.datasets.load("gefcom2014_load", data_dir=data)
    s = d.schema
    df = d.frame.select(pl.col(s.timestamp).dt.convert_time_zone("America/New_York").alias("timestamp"),
                        pl.col(s.target).alias("load"), pl.col(s.future_covariates[0]).alias("temperature"),
                        pl.lit("zone").alias("series"))
    hist = df.slice(10_000, m.context_length)
    fut = df.slice(10_000 + m.context_length, m.horizon).select("series", "timestamp", "temperature")
    return {"predict_ms": round(median_ms(lambda: m.predict(hist, fut), 200, 10), 3),
            "context": m.context_length, "horizon": m.horizon, "data": "GEFCom2014 load, first station"}


if __name__ == "__main__":
    main()
