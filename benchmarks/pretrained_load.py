"""``load-base`` on held-out load series: zero-shot, fine-tuned and from scratch.

Protocol (written into the model card):

* **Sites.** Whole series never trained on: the five GEFCom2012 zones of the recipe's
  ``holdout`` (zones 4, 8, 12, 16, 20, a fixed every-fourth rule), Korean national load and
  the six CNU (Gwangju) university buildings. Korean sources are not in the released
  model's training data at all (their licence does not allow redistribution).
* **Test periods.** GEFCom2012 zones: 2007 (the base saw other zones only up to 2006-12-31,
  so the shared weather stations leak nothing from the test year); Korean national: 2021;
  CNU buildings: 2022-02-01 .. 2022-04-12.
* **Forecasts.** Day-ahead: an origin at 23:00 local time every day, context 168 h, the
  next 24 hours. Measured temperature stands in for the forecast over the horizon (an
  oracle, as in GEFCom2012's own protocol); ``zero_shot_no_temperature`` drops it.
* **Same origins for all.** An origin whose last 7 days lack an observed load at some hour
  of day, or whose day a week before the forecast day is incomplete (the persistence
  ensemble or the seasonal naive cannot forecast; CNU meters have masked runs), is dropped
  for every method; the count is reported per site.
* **Baselines.** The persistence ensemble of BuildingsBench (the mean of the same hour
  over the last 7 days) and the seasonal naive (same hour last week), on the same origins.
* **Fine-tuning.** For 1, 4 and 12 weeks of the site's data before the test period (plus
  one context of history before them, so 1 week still yields windows): the recipe trained
  from scratch, and ``load-base`` fine-tuned (all weights, learning rate 3e-4), with the same
  step budget and no validation split.
* **Gradient boosting with the same inputs** (``benchmarks/gbm_reference.py``: lags known at
  the origin, local calendar, the site's holiday flags, temperature of the target hour,
  target over its last-7-day level): ``gbm_pooled`` is fitted on the base model's own
  training series (origins every fourth day, the last 10% of each series' origins for early
  stopping), the zero-shot reference; ``gbm_site_{w}w`` on the site's weeks (the last week
  of them validates), the reference of fine-tuning.
* **Metric.** CV(RMSE) in % (RMSE over the mean load, ASHRAE Guideline 14's measure), per
  site over all test forecasts, then the median over sites.

Run:  python benchmarks/pretrained_load.py --model models/load-base/weights \\
          --out benchmarks/results/pretrained_load.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "models" / "load-base"))
sys.path.insert(0, str(HERE))

#: Test periods by series prefix: (first day, day after the last), local wall-clock time.
TEST = {"gefcom2012_": ("2007-01-01", "2008-01-01"), "kr_national": ("2021-01-01", "2022-01-01"),
        "cnu_": ("2022-02-01", "2022-04-12")}


def _grid(frame: Any) -> tuple[Any, Any, Any, Any]:
    """``y`` (NaN missing), UTC seconds, temperature and the frame on a complete hourly grid."""
    import numpy as np
    import polars as pl

    ts = frame["timestamp"]
    full = pl.DataFrame({"timestamp": pl.datetime_range(ts.min(), ts.max(), "1h", eager=True,
                                                        time_zone="UTC").cast(ts.dtype)})
    g = full.join(frame, on="timestamp", how="left")
    y = g["load"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    temp = g["temperature"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return y, g["timestamp"].dt.epoch("s").to_numpy(), temp, g


def gbm_rows(frame: Any, country: str, cutoffs: list[dt.datetime], series: int = 0) -> Any:
    """Day-ahead rows of one series at ``cutoffs`` (origins), with the target hour's temperature."""
    import gbm_reference as gbm
    import numpy as np

    y, utc, temp, _ = _grid(frame)
    want = np.array([int(c.timestamp()) for c in cutoffs])
    origins = np.searchsorted(utc, want)
    origins = origins[(origins < len(utc)) & (utc[np.minimum(origins, len(utc) - 1)] == want)]
    origins = origins[origins + 24 < len(y)]
    cov = temp[origins[:, None] + np.arange(1, 25)[None, :]][..., None]
    return gbm.day_ahead_rows(y, utc, origins, 24, 3600, "UTC", country=country, covariates=cov,
                              cov_names=("temperature",), series=series)


def gbm_score(ref: Any, rows: Any) -> dict[str, float]:
    import numpy as np

    pred = ref.predict(rows)
    actual = rows.y * rows.level
    ok = np.isfinite(actual) & np.isfinite(pred)
    rmse = float(np.sqrt(np.mean((pred[ok] - actual[ok]) ** 2)))
    return {"cv_rmse": 100 * rmse / float(np.mean(actual[ok])), "mae": float(np.mean(np.abs(pred[ok] - actual[ok])))}


def _daily(start: dt.datetime, end: dt.datetime, every: int = 1) -> list[dt.datetime]:
    return [start + dt.timedelta(days=d, hours=23) for d in range(0, (end - start).days, every)]


def pooled_reference(recipe: dict[str, Any], data_dir: Any) -> Any:
    """LightGBM fitted on the base model's training series (the zero-shot reference)."""
    import gbm_reference as gbm
    from train import training_corpus

    corpus = training_corpus(recipe, data_dir)
    train, val = [], []
    for s, g in corpus.frame.partition_by("series", as_dict=True, maintain_order=True).items():
        ts = g["timestamp"]
        days = _daily(ts.min().replace(hour=0), ts.max().replace(hour=0), every=4)
        cut = int(len(days) * 0.9)
        train.append(gbm_rows(g, corpus.countries[s[0]], days[:cut], series=0))
        val.append(gbm_rows(g, corpus.countries[s[0]], days[cut:], series=0))
    return gbm.fit_reference(gbm.Rows.concat(train), gbm.Rows.concat(val), seed=0)


def scoreable(frame: Any, cutoffs: list[dt.datetime]) -> list[dt.datetime]:
    """The cutoffs whose last 7 days hold an observed load at every hour of day (what the
    persistence ensemble needs) and the whole day a week before the forecast day (the
    seasonal naive), so that every method is scored on the same origins."""
    import numpy as np

    y, utc, _, _ = _grid(frame)
    keep = []
    for c in cutoffs:
        end = int(np.searchsorted(utc, int(c.timestamp()), side="right"))
        last = y[max(end - 168, 0):end]
        # the persistence ensemble needs each hour of day once in the week; the seasonal naive
        # needs the 24 values a week before the forecast day
        if len(last) == 168 and np.isfinite(last.reshape(7, 24)).any(axis=0).all() and np.isfinite(last[:24]).all():
            keep.append(c)
    return keep


def _period(series: str) -> tuple[dt.datetime, dt.datetime]:
    for prefix, (a, b) in TEST.items():
        if series.startswith(prefix):
            utc = dt.timezone.utc
            return dt.datetime.fromisoformat(a).replace(tzinfo=utc), dt.datetime.fromisoformat(b).replace(tzinfo=utc)
    raise KeyError(series)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(HERE.parent / "models" / "load-base" / "weights"))
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(HERE.parent.parent / "shared" /
                                                                          "datasets")))
    ap.add_argument("--weeks", default="1,4,12", help="site weeks for fine-tuning and scratch ('' skips them)")
    ap.add_argument("--steps", type=int, default=200, help="optimiser steps of every site model")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--sites", default=None, help="comma-separated subset of the held-out series")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-gbm", action="store_true", help="skip the LightGBM references")
    ap.add_argument("--markdown", default=None, help="print the tables of a results JSON and exit")
    ap.add_argument("--out", default=None)
    ap.add_argument("--plot", default=None, help="PNG of the results")
    ap.add_argument("--partial", default=None, help="JSONL of finished sites: appended as they finish, read "
                                                    "back (and those sites skipped) when the run restarts")
    args = ap.parse_args()
    if args.markdown:  # tables (and, with --plot, the figure) of a finished run
        done_run = json.loads(Path(args.markdown).read_text())
        print(markdown(done_run))
        if args.plot:
            first = next(iter(done_run["sites"].values()))
            plot(done_run["sites"], [k for k in first if isinstance(first[k], dict)],
                 [int(w) for w in str(done_run["args"]["weeks"]).split(",") if w], args.plot)
        return

    import polars as pl
    import torch
    from train import forecaster, read_recipe

    import energyai as ea
    from energyai.baselines import PersistenceEnsemble, SeasonalNaive
    from energyai.datasets.corpus import load_corpus
    from energyai.forecaster import Forecaster

    torch.set_num_threads(args.threads)
    recipe = read_recipe()
    base = Forecaster.from_pretrained(args.model)
    holdout = list(recipe["corpus"]["holdout"])
    corpus = load_corpus([*recipe["corpus"]["sources"], "kr_national_load_2013_2021", "kr_cnu_gwangju_buildings"],
                         data_dir=args.data_dir)
    sites = holdout + sorted(s for s in corpus.countries if s == "kr_national" or s.startswith("cnu_"))
    if args.sites:
        sites = [s for s in sites if s in args.sites.split(",")]
    trained = set(base.manifest_.get("training_series", []))
    weeks = [int(w) for w in args.weeks.split(",") if w]
    L = base.context_length
    rows: dict[str, dict[str, Any]] = {}
    t_all = time.perf_counter()
    pooled = None
    if not args.no_gbm:
        t0 = time.perf_counter()
        pooled = pooled_reference(recipe, args.data_dir)
        print(f"gbm_pooled: {pooled.params}, {pooled.rounds} rounds, {time.perf_counter() - t0:.0f} s", flush=True)
    done: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    if args.partial and Path(args.partial).exists():
        done = {r["site"]: r["rows"] for r in map(json.loads, Path(args.partial).read_text().splitlines())}
    for site in sites:
        if site in done:
            rows[site] = done[site]
            continue
        if site in trained:
            raise SystemExit(f"{site} was in the base model's training data; it cannot be scored")
        start, end = _period(site)
        country = corpus.countries[site]
        frame = corpus.frame.filter(pl.col("series") == site)
        span_start = start - dt.timedelta(weeks=max(weeks, default=0), hours=L)
        ev = frame.filter(pl.col("timestamp") >= min(span_start, start - dt.timedelta(hours=L + 24 * 7)),
                          pl.col("timestamp") < end)
        n_days = (end - start).days
        every = [start - dt.timedelta(hours=1) + dt.timedelta(days=d) for d in range(n_days)]
        cutoffs = scoreable(ev, every)
        if not cutoffs:  # CNU D18's meter reads nothing (masked) from 2022-01 on
            skipped[site] = f"no scoreable origin in {start.date()} .. {end.date()} (no observed load)"
            print(site, "skipped:", skipped[site], flush=True)
            continue
        site_rows: dict[str, Any] = {"country": country, "test": [str(start.date()), str(end.date())],
                                     "origins": len(cutoffs), "origins_dropped": n_days - len(cutoffs)}

        def score(name: str, model: Any, data: Any = ev, fit: bool = False, out: dict = site_rows,
                  cuts: list = cutoffs) -> None:
            res = ea.backtest(model, data, corpus.schema, cutoffs=cuts, fit=fit, oracle=True)
            m = res.metrics
            out[name] = {"cv_rmse": float(m["cv_rmse"][0]), "mae": float(m["mae"][0])}

        local = base.localize(holidays=country)  # floating local time: the zone stays, the holidays are the site's
        score("zero_shot", local)
        score("zero_shot_no_temperature", local, ev.with_columns(pl.lit(None, pl.Float64).alias("temperature")))
        score("persistence_ensemble", PersistenceEnsemble(24), fit=True)
        score("seasonal_naive_week", SeasonalNaive(24, season="week"), fit=True)
        if pooled is not None:
            site_rows["gbm_pooled"] = gbm_score(pooled, gbm_rows(ev, country, cutoffs))
        for w in weeks:
            train = frame.filter(pl.col("timestamp") >= start - dt.timedelta(weeks=w, hours=L),
                                 pl.col("timestamp") < start)
            common = dict(max_steps=args.steps, val_size=0, holidays=country, batch_size=args.batch_size,
                          early_stopping_patience=10, progress_bar=False)
            scratch = forecaster(recipe, None, **common).fit(train, corpus.schema)
            score(f"scratch_{w}w", scratch)
            tuned = forecaster(recipe, None, **{**common, "learning_rate": 3e-4}).fit(train, corpus.schema,
                                                                                     init_from=base)
            score(f"finetuned_{w}w", tuned)
            if pooled is not None:
                import gbm_reference as gbm

                days = [start - dt.timedelta(hours=1, days=d) for d in range(7 * w, 0, -1)]
                fit_days, val_days = (days[:-7], days[-7:]) if w > 1 else (days[:-2], days[-2:])
                ref = gbm.fit_reference(gbm_rows(ev, country, fit_days), gbm_rows(ev, country, val_days), seed=0)
                site_rows[f"gbm_site_{w}w"] = gbm_score(ref, gbm_rows(ev, country, cutoffs))
        rows[site] = site_rows
        if args.partial:
            with open(args.partial, "a") as fh:
                fh.write(json.dumps({"site": site, "rows": site_rows}, default=str) + "\n")
        print(site, {k: round(v["cv_rmse"], 2) for k, v in site_rows.items() if isinstance(v, dict)}, flush=True)

    methods = [k for k in next(iter(rows.values())) if isinstance(next(iter(rows.values()))[k], dict)]
    median = {k: statistics.median(r[k]["cv_rmse"] for r in rows.values()) for k in methods}
    summary = {"median_cv_rmse": median,
               "zero_shot_vs_persistence_ensemble": 1 - median["zero_shot"] / median["persistence_ensemble"]}
    for w in weeks:
        wins = sum(r[f"finetuned_{w}w"]["cv_rmse"] < r[f"scratch_{w}w"]["cv_rmse"] for r in rows.values())
        summary[f"finetuned_beats_scratch_{w}w"] = f"{wins} of {len(rows)} sites"
    result = {"protocol": __doc__.split("Run:")[0].strip(), "args": vars(args), "sites": rows, "summary": summary,
              "skipped": skipped,
              "seconds": round(time.perf_counter() - t_all, 1), "torch": torch.__version__,
              "energyai": ea.__version__}
    print(json.dumps(summary, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
        print("wrote", args.out)
    if args.plot:
        plot(rows, methods, weeks, args.plot)


def markdown(result: dict[str, Any]) -> str:
    """The model card's tables: CV(RMSE) % per held-out site and method, and the medians."""
    rows = result["sites"]
    first = next(iter(rows.values()))
    methods = [k for k in first if isinstance(first[k], dict)]
    short = {"zero_shot": "zero-shot", "zero_shot_no_temperature": "zero-shot, no temp.",
             "persistence_ensemble": "persistence ens.", "seasonal_naive_week": "seasonal naive",
             "gbm_pooled": "GBM pooled"}
    head = ["site", "origins", *[short.get(m, m.replace("_", " ")) for m in methods]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for site, r in rows.items():
        out.append(f"| {site} | {r['origins']} | " + " | ".join(f"{r[m]['cv_rmse']:.2f}" for m in methods) + " |")
    med = result["summary"]["median_cv_rmse"]
    out.append("| **median** | | " + " | ".join(f"**{med[m]:.2f}**" for m in methods) + " |")
    return "\n".join(out)


def plot(rows: dict[str, Any], methods: list[str], weeks: list[int], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    sites = list(rows)
    single = [m for m in methods if not m.startswith(("scratch_", "finetuned_", "gbm_site_"))]
    width = 0.8 / len(single)
    for k, m in enumerate(single):
        a.bar([i + k * width for i in range(len(sites))], [rows[s][m]["cv_rmse"] for s in sites], width, label=m)
    a.set_xticks([i + 0.4 - width / 2 for i in range(len(sites))],
                 [s.replace("gefcom2012_", "gc12 ").replace("cnu_", "")[:14] for s in sites], rotation=60, ha="right",
                 fontsize=8)
    a.set_ylabel("CV(RMSE) %")
    a.set_title("held-out sites, day-ahead")
    a.legend(fontsize=8)
    if weeks:
        import statistics as st

        for kind in ("scratch", "finetuned"):
            b.plot(weeks, [st.median(rows[s][f"{kind}_{w}w"]["cv_rmse"] for s in sites) for w in weeks], "o-",
                   label=kind)
        b.plot(weeks, [st.median(rows[s][f"gbm_site_{w}w"]["cv_rmse"] for s in sites) for w in weeks], "s-",
               label="gbm site")
        for m, style in (("zero_shot", "--"), ("persistence_ensemble", ":")):
            b.axhline(st.median(rows[s][m]["cv_rmse"] for s in sites), ls=style, color="grey", label=m)
        b.set_xscale("log")
        b.set_xticks(weeks, [str(w) for w in weeks])
        b.set_xlabel("weeks of site data")
        b.set_ylabel("median CV(RMSE) %")
        b.set_title("fine-tuning against training from scratch")
        b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


if __name__ == "__main__":
    main()
