"""A fitted forecaster in a few lines of text (:meth:`energyai.Forecaster.summary`)."""

from __future__ import annotations

from typing import Any

__all__ = ["fit_summary"]


def fit_summary(model: Any) -> str:
    """Members, combination, fit seconds and calibration of a fitted forecaster."""
    h = getattr(model, "history_", {}) or {}
    lines = [f"{model.model} forecaster: context {model.context_length}, horizon {model.horizon}, levels "
             f"{list(model.levels_)}, fitted in {h.get('fit_seconds', float('nan')):.0f} s"]
    members = h.get("members")
    if members:
        weights = (h.get("combine") or {}).get("weights") or [None] * len(members)
        for m, w in zip(members, weights, strict=False):
            what = (f"lightgbm, {len(m.get('rounds', []))} levels, rounds {min(m['rounds'])}-{max(m['rounds'])}"
                    if m.get("model") == "lightgbm" and m.get("rounds")
                    else f"{m.get('model')} seed {m.get('seed')}, context {m.get('context_length')}, "
                         f"{m.get('steps')} steps")
            if m.get("refit"):
                what += f" (+ refit {m['refit'].get('steps')} steps on all windows)"
            lines.append(f"  member: {what}" + ("" if w is None else f", weight {w:.2f}"))
    elif "steps" in h:
        lines.append(f"  {h['steps']} steps, stopped by {h.get('stopped_by')}")
    cal = h.get("calibration") or (getattr(model, "manifest_", {}) or {}).get("calibration")
    if not cal:
        lines.append("  quantiles: uncalibrated (fit(..., calibrate='auto') or model.calibrate(...))")
    elif cal.get("calibrated") is False:
        lines.append(f"  quantiles: uncalibrated, {cal.get('skipped')}")
    else:
        cover = ", ".join(f"{k}: {v:.2f}" for k, v in (cal.get("coverage_before") or {}).items())
        where = cal.get("origins", "holdout")
        lines.append(f"  quantiles: calibrated ({cal.get('method')} by {cal.get('by')}, on the {where} windows, "
                     f"{(cal.get('windows_per_lead') or ['?'])[0]}+ per lead); coverage there before: {cover}")
        after = cal.get("coverage_after")
        if after:
            lines.append("  coverage there after: " + ", ".join(f"{k}: {v:.2f}" for k, v in after.items()))
    return "\n".join(lines)


def describe_inputs(model: Any) -> str:
    """The columns, units, step and zone a fitted model expects, which are optional, and an example
    of the frames ``predict`` takes (:meth:`energyai.Forecaster.describe`)."""
    s = model.schema_
    t = model.train_config
    optional = set(t.optional_covariates or ())
    lines = [f"{model.model} forecaster ({model.preset_name or 'no preset'}): forecasts {model.horizon} steps of "
             f"{s.freq} after the last timestamp of each series, from the last {model.context_length} steps",
             f"  time zone: {s.tz or 'UTC'} (naive timestamps are read as local time there)"
             + ("; base model on a floating clock: localize(tz=..., holidays=...) first"
                if (getattr(model, "manifest_", {}) or {}).get("clock") == "floating" else "")]
    lines.append(f"  target: {s.target!r}" + (f" in {s.units}" if s.units else "")
                 + (", non-negative" if s.nonnegative else "")
                 + (f", capacity {s.capacity!r}" if s.capacity is not None else ""))
    if s.series_id:
        lines.append(f"  series id column: {s.series_id!r} (one or many series in one long frame)")
    roles = (("past covariates (history only)", s.past_covariates),
             ("future covariates (history and the horizon, in future=)", s.future_covariates),
             ("static covariates (one value per series)", s.static_covariates))
    for what, cols in roles:
        if cols:
            lines.append(f"  {what}: " + ", ".join(f"{c!r}" + (" (optional)" if c in optional else "") for c in cols))
    if t.holidays:
        lines.append(f"  holidays: the {t.holidays!r} table inside the model (no column needed)")
    if t.solar_site is not None:
        lines.append(f"  solar site: {tuple(t.solar_site)} (clear sky and night inside the model)")
    cols = [c for c in (s.series_id, s.timestamp, s.target, *s.past_covariates, *s.future_covariates,
                        *s.static_covariates) if c]
    lines.append(f"  history frame, one row per series and step: {cols}")
    if s.future_covariates:
        lines.append(f"  future frame, the {model.horizon} steps after the history: "
                     f"{[c for c in (s.series_id, s.timestamp, *s.future_covariates) if c]}")
    lines.append(f"  output: {[s.series_id, s.timestamp] if s.series_id else [s.timestamp]} + forecast (the median) "
                 f"and {['q' + format(q, 'g') for q in (model.quantiles or ())]}, fallback")
    return "\n".join(lines)
