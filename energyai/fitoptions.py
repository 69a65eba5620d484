"""Rules of the training options that describe several fits at once: ensemble members, the
calibration done by ``fit``, and the options a preset chooses from the data (standard library only;
:mod:`energyai.config` checks them)."""

from __future__ import annotations

from typing import Any

from energyai.exceptions import ConfigError

__all__ = ["CALIBRATION_DEFAULTS", "FIT_CHOICES", "SHARED_BY_MEMBERS", "calibration_options", "check_ensemble"]


#: Options a preset may choose from the training data at fit (:func:`energyai.presets.choose_at_fit`).
FIT_CHOICES = ("cloud_column", "cloud_units", "daylight_column", "temporal_width", "val_size")

#: Parameters an ensemble member may not change: members share inputs, outputs and in-graph features.
SHARED_BY_MEMBERS = ("horizon", "quantiles", "holidays", "holiday_years", "series_holidays", "solar_site",
                     "linke_turbidity", "series_sites", "wind_columns", "power_curve", "daylight_column",
                     "cloud_column", "cloud_units", "optional_covariates", "calendar", "ensemble", "combine",
                     "fit_choices", "calibration",
                     "scaler", "origin_time", "accelerator", "devices", "strategy", "num_nodes", "preset_name")


def check_ensemble(members: Any) -> None:
    if members is None:
        return
    if not isinstance(members, (list, tuple)) or not members or not all(isinstance(m, dict) for m in members):
        raise ConfigError("ensemble must be a non-empty list of dicts of member parameters, such as "
                          f"[{{}}, {{'seed': 1}}, {{'model': 'lightgbm'}}]; got {members!r}")
    for k, m in enumerate(members):
        bad = sorted(set(m) & set(SHARED_BY_MEMBERS))
        if bad:
            raise ConfigError(f"ensemble member {k} sets {bad}: members share the horizon, quantiles, in-graph "
                              "features and inputs; set these on the forecaster itself")
        if any(not isinstance(key, str) for key in m):
            raise ConfigError(f"ensemble member {k} has a parameter name that is not a string: {list(m)}")
    if sum(str(m.get("model", "")).lower() == "lightgbm" for m in members) > 1:
        raise ConfigError("an ensemble holds at most one lightgbm member (it already fits one model per level)")


#: What ``calibrate="auto"`` means: conformal shifts by lead, learnt on the validation windows
#: (``origins="validation"``) or on a holdout of the last ``weeks`` (``origins="holdout"``:
#: "auto" is 13 weeks, fewer down to 4 on short data), from at least 30 windows per lead.
CALIBRATION_DEFAULTS = {"method": "conformal", "by": "lead", "origins": "validation", "weeks": "auto",
                        "min_windows": 30, "refit_all": False}


def calibration_options(value: Any) -> dict[str, Any] | None:
    """``calibrate`` as a dict of options (:data:`CALIBRATION_DEFAULTS` filled in), or None when off.

    Raises
    ------
    ConfigError
        An unknown option or value.
    """
    if value is None or value is False:
        return None
    if value == "auto" or value is True:
        return dict(CALIBRATION_DEFAULTS)
    if not isinstance(value, dict):
        raise ConfigError(f"calibrate must be None, 'auto' or a dict of {sorted(CALIBRATION_DEFAULTS)}, got {value!r}")
    unknown = sorted(set(value) - set(CALIBRATION_DEFAULTS))
    if unknown:
        raise ConfigError(f"calibrate has unknown option(s) {unknown}; options are {sorted(CALIBRATION_DEFAULTS)}")
    out = {**CALIBRATION_DEFAULTS, **value}
    weeks = out["weeks"]
    if weeks != "auto" and (isinstance(weeks, bool) or not isinstance(weeks, (int, float)) or weeks <= 0):
        raise ConfigError(f"calibrate weeks must be 'auto' or a positive number, got {weeks!r}")
    mw = out["min_windows"]
    if isinstance(mw, bool) or not isinstance(mw, int) or mw < 1:
        raise ConfigError(f"calibrate min_windows must be a positive int, got {mw!r}")
    if out["origins"] not in ("validation", "holdout"):
        raise ConfigError(f"calibrate origins must be 'validation' or 'holdout', got {out['origins']!r}")
    if out["method"] != "conformal" and out["origins"] == "validation":
        raise ConfigError("calibration on the validation windows is conformal; use origins='holdout' for "
                          f"method={out['method']!r}")
    if not isinstance(out["refit_all"], bool):
        raise ConfigError(f"calibrate refit_all must be True or False, got {out['refit_all']!r}")
    return out
