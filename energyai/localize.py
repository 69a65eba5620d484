"""Pointing a fitted model at another site's clock, holidays and PV site
(:meth:`energyai.Forecaster.localize`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from energyai.exceptions import ConfigError

__all__ = ["localize", "zone_country"]


def localize(model: Any, tz: str | None, holidays: str | None, holiday_years: tuple[int, int] | None,
             solar_site: tuple[float, ...] | None) -> Any:
    """A localized deep copy of the fitted Forecaster ``model``; see :meth:`energyai.Forecaster.localize`."""
    import copy
    import dataclasses

    from energyai.calendar.holidays import holiday_table
    from energyai.timeutil import zone

    model._check_fitted()
    out = copy.deepcopy(model)
    if tz is not None:
        try:
            zone(tz)
        except Exception as exc:  # any failure to resolve is the same user error
            raise ConfigError(f"tz {tz!r} is not an IANA time zone such as 'Asia/Seoul'") from exc
        setattr(out, "schema_", dataclasses.replace(out.schema_, tz=tz))  # noqa: B010 (set by fit, not declared)
    if tz is not None and holidays is None and out.network_.holiday is not None:
        _check_kept_holidays(tz, out.get_params().get("holidays"))
    if holidays is not None:
        if out.network_.holiday is None:
            raise ConfigError("this model was trained without holidays=; it has no holiday features to localize")
        from energyai.nn.holidays import HolidayFeatures

        years = tuple(holiday_years) if holiday_years is not None else (1990, 2050)
        first, table = holiday_table(str(holidays), (int(years[0]), int(years[1])))
        out.network_.holiday = HolidayFeatures(len(table)).set_table(first, table)
        out.set_params(holidays=holidays, holiday_years=(int(years[0]), int(years[1])))
    if solar_site is not None:
        if out.network_.solar is None:
            raise ConfigError("this model was trained without solar_site=; it has no solar geometry to localize")
        try:
            site_values = tuple(float(v) for v in solar_site)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"solar_site must be (latitude, longitude[, altitude]) in degrees and metres, got "
                              f"{solar_site!r}") from exc
        out.set_params(solar_site=site_values)
        site = out.train_config.solar()  # checks the values
        assert site is not None
        out.network_.solar.site.copy_(out.network_.solar.site.new_tensor(site))
    manifest = {**getattr(model, "manifest_", {}), "localized": {"tz": tz, "holidays": holidays,
                                                                 "solar_site": solar_site}}
    if manifest.get("clock") == "floating" and tz is not None:
        manifest["clock"] = "localized"
    if manifest.get("site") == "per-plant" and solar_site is not None:
        manifest["site"] = "localized"
    setattr(out, "manifest_", manifest)  # noqa: B010 (set by fit, not declared)
    return out


def zone_country(tz: str) -> str | None:
    """The ISO 3166 country of an IANA zone from the tz database's ``zone.tab`` (the
    ``tzdata`` package's copy or the system's), or None where the zone has no country
    (``UTC``, ``Etc/...``) or no table is found."""
    import importlib.util
    import os

    tables = []
    spec = importlib.util.find_spec("tzdata")
    if spec is not None and spec.origin:
        tables.append(Path(os.path.dirname(spec.origin)) / "zoneinfo" / "zone.tab")
    tables.append(Path("/usr/share/zoneinfo/zone.tab"))
    for table in tables:
        try:
            lines = table.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split("\t")
            if len(parts) >= 3 and not line.startswith("#") and parts[2] == tz:
                return parts[0]
        return None
    return None


def _check_kept_holidays(tz: str, country: Any) -> None:
    """Refuse to move a model to ``tz`` while silently keeping another country's holiday table."""
    site = zone_country(tz)
    kept = country.split("-")[0].upper() if isinstance(country, str) else None
    if site is not None and kept == site:
        return
    raise ConfigError(
        f"localize(tz={tz!r}) would keep this model's holiday table ({country!r}), which is "
        + (f"not the holidays of {tz}'s country ({site}); pass holidays={site!r}" if site else
           f"not known to be {tz}'s; pass holidays= the site's country")
        + (f", or holidays={country!r} to keep it on purpose" if isinstance(country, str) else "")
    )
