"""Holiday flags and PV sites of each training series, for a model trained across countries and plants.

A network holds one holiday day table (its ``holidays`` country), looked up by local
date. A base model trained on Korean, US and other series should nonetheless learn what
a holiday does to load from each series' real holidays, so the training windows of the
series named in ``TrainConfig.series_holidays`` feed their own country's flags through
the ``holiday_override`` input (which replaces the table's values). The flags mean the
same in every country (holiday, bridge day, festival, days off in a row), which is also
why a fine-tuned model may carry another country's table than its base.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.exceptions import ConfigError

__all__ = ["series_holiday_override", "series_site_override"]

_DAY = 86400


def _positions(panel: Any, named: dict[Any, Any], option: str) -> dict[str, int]:
    """Panel position of every series by the string of its id; ConfigError for ids of ``named``
    (ids as given or as strings: a JSON config has string keys) that the panel lacks."""
    ids = {str(s): k for k, s in enumerate(panel.series_ids)}
    unknown = [s for s in named if s not in panel.series_ids and str(s) not in ids]
    if unknown:
        raise ConfigError(f"{option} names series {unknown[:5]} that the data does not have; series are "
                          f"{list(ids)[:10]}{' ...' if len(ids) > 10 else ''}")
    return ids


def series_holiday_override(panel: Any, countries: dict[Any, str], years: tuple[int, int]) -> np.ndarray:
    """``(N, 4)`` float32 holiday flags of every panel row, NaN for series not in ``countries``.

    Parameters
    ----------
    panel : energyai.data.panel.Panel
    countries : dict
        Country code (``"KR"``, ``"US"``, ``"GB-ENG"`` for a subdivision) per series id;
        ids are matched as given or by their string form (a JSON config has string keys).
    years : (int, int)
        First and last calendar year of the tables (the panel's local dates must lie
        inside).

    Returns
    -------
    ndarray of float32, shape (N, 4)
        ``holiday``, ``bridge``, ``festival`` and ``off_run / 7``, the scale of
        :class:`energyai.nn.holidays.HolidayFeatures`.

    Raises
    ------
    ConfigError
        An id that is not a series of the panel, naming the ids there are.
    """
    from energyai.calendar.holidays import holiday_table

    ids = _positions(panel, countries, "series_holidays")
    out = np.full((len(panel.target), 4), np.nan, np.float32)
    scale = np.array([1, 1, 1, 1 / 7], np.float32)
    tables: dict[str, tuple[int, np.ndarray]] = {}
    for sid, code in countries.items():
        k = ids[str(sid)]
        if code not in tables:
            tables[code] = holiday_table(code, years)
        first, table = tables[code]
        lo, hi = int(panel.offsets[k]), int(panel.offsets[k + 1])
        day = np.floor_divide(panel.local_time[lo:hi], _DAY) - first
        if len(day) and (day.min() < 0 or day.max() >= len(table)):
            raise ConfigError(f"series {sid!r} has local dates outside the holiday years {years}; widen "
                              "holiday_years")
        out[lo:hi] = table[day].astype(np.float32) * scale
    return out


def series_site_override(panel: Any, sites: dict[Any, Any], linke_turbidity: float) -> np.ndarray:
    """``(S, 4)`` float32 PV site per panel series (latitude, longitude, altitude, turbidity),
    NaN rows for series not in ``sites`` (they take the model's ``solar_site``).

    Raises
    ------
    ConfigError
        An id that is not a series of the panel.
    """
    ids = _positions(panel, sites, "series_sites")
    out = np.full((len(panel.series_ids), 4), np.nan, np.float32)
    for sid, site in sites.items():
        lat, lon = float(site[0]), float(site[1])
        alt = float(site[2]) if len(site) > 2 else 0.0
        out[ids[str(sid)]] = (lat, lon, alt, float(linke_turbidity))
    return out
