"""Soak test of the device runtime: many forecasts through one ``OnnxForecaster``.

Loads the shipped model (``models/gb-demand-dlinear/model.onnx``: England and Wales
demand, a week of half-hours in, a day ahead out) once, then runs ``--forecasts``
forecasts on one thread and the same number on four threads sharing the instance.
Inputs are 64 real windows cut from the shipped ``recent.csv`` (shifted in time), whose
reference outputs are computed first; every result is compared with its reference
(bit-identical: one intra-op thread is deterministic) and checked finite. Prints
throughput, p50/p99 latency, and the process's resident memory (RSS) after warm-up and at
the end (the latency buffer is allocated before the first reading, so RSS growth is the
runtime's own).

    python benchmarks/soak.py --forecasts 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from energyai.runtime import OnnxForecaster  # noqa: E402

MODEL = ROOT / "models" / "gb-demand-dlinear" / "model.onnx"
RECENT = ROOT / "models" / "gb-demand-dlinear" / "recent.csv"


def rss_mb() -> float:
    """Resident set size of this process, MB (Linux /proc; ru_maxrss elsewhere, a peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def windows(n: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` real 336-step windows: the shipped history, scaled and shifted by whole days."""
    with RECENT.open() as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r["demand_mw"]) for r in rows], np.float32)
    t = np.array([np.datetime64(r["timestamp"][:19]) for r in rows]).astype("datetime64[s]").astype(np.int64)
    t = t - 3600  # recent.csv is written in local time (BST, +01:00): epoch seconds in UTC
    out = []
    for k in range(n):
        out.append(((y * (0.9 + 0.2 * k / n)).astype(np.float32), (t + 86400 * 7 * k).astype(np.int64)))
    return out


def run(model: OnnxForecaster, cases: list, refs: list, count: int, start: int, lat: np.ndarray,
        errors: list) -> None:
    n = len(cases)
    for k in range(count):
        i = (start + k) % n
        y, t = cases[i]
        t0 = time.perf_counter_ns()
        out = model.predict_arrays(y, t).values
        lat[k] = time.perf_counter_ns() - t0
        if not np.array_equal(out, refs[i]) or not np.isfinite(out).all():
            errors.append(start + k)


def phase(model: OnnxForecaster, cases: list, refs: list, total: int, threads: int, buffer: np.ndarray) -> dict:
    """``total`` forecasts on ``threads`` threads; latencies go into ``buffer`` (allocated and
    touched before the memory baseline, so the measurement does not count its own arrays)."""
    per = total // threads
    lats = [buffer[w * per:(w + 1) * per] for w in range(threads)]
    errors: list[int] = []
    workers = [threading.Thread(target=run, args=(model, cases, refs, per, w * per, lats[w], errors))
               for w in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - t0
    rss = rss_mb()  # before the statistics below allocate their temporaries
    lat = buffer[:per * threads]
    lat.sort()  # in place: statistics with no temporaries, which would stay in the allocator's pools
    n = len(lat)
    return {"threads": threads, "forecasts": n, "seconds": round(seconds, 1),
            "per_second": round(n / seconds), "p50_us": round(float(lat[(n - 1) // 2]) / 1e3, 1),
            "p99_us": round(float(lat[int(0.99 * (n - 1))]) / 1e3, 1), "wrong_or_non_finite": len(errors),
            "rss_mb_at_end": round(rss, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forecasts", type=int, default=100_000, help="forecasts per phase (one thread, four threads)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "soak.json"))
    args = parser.parse_args()
    model = OnnxForecaster(MODEL, threads=1)
    cases = windows()
    refs = [model.predict_arrays(y, t).values.copy() for y, t in cases]
    buffer = np.ones(args.forecasts, np.int64)  # latency storage, pages touched now
    # warm-up, on one and on four threads: onnxruntime's arenas and the allocator's pools
    # reach their steady size (four concurrent runs hold four sets of activations)
    phase(model, cases, refs, 64 * 50, 1, buffer)
    phase(model, cases, refs, 64 * 50, 4, buffer)
    rss0 = rss_mb()
    phases = [phase(model, cases, refs, args.forecasts, 1, buffer)]
    rss1 = phases[0]["rss_mb_at_end"]
    phases.append(phase(model, cases, refs, args.forecasts, 4, buffer))
    rss2 = phases[1]["rss_mb_at_end"]
    growth = 100 * (rss2 - rss0) / rss0
    for p in phases:
        print(f"{p['threads']} thread(s): {p['forecasts']:,} forecasts in {p['seconds']} s, {p['per_second']:,}/s, "
              f"p50 {p['p50_us']} us, p99 {p['p99_us']} us, wrong or non-finite: {p['wrong_or_non_finite']}")
    print(f"RSS after warm-up (one and four threads) {rss0:.1f} MB, after one thread {rss1:.1f} MB, at the end "
          f"{rss2:.1f} MB "
          f"({growth:+.2f}% over {2 * args.forecasts:,} forecasts)")
    result = {"command": f"python benchmarks/soak.py --forecasts {args.forecasts}", "model": str(MODEL.relative_to(ROOT)),
              "machine": f"{platform.machine()}, Python {platform.python_version()}", "phases": phases,
              "rss_mb": {"after_warm_up": round(rss0, 1), "after_one_thread": round(rss1, 1), "end": round(rss2, 1)},
              "rss_growth_percent": round(growth, 2)}
    Path(args.out).write_text(json.dumps(result, indent=2))
    ok = all(p["wrong_or_non_finite"] == 0 for p in phases) and growth < 5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
