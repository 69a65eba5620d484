"""Pointing a fitted model at another site's clock, holidays and PV site
(:meth:`energyai.Forecaster.localize`)."""

from __future__ import annotations

from typing import Any

from energyai.exceptions import ConfigError

__all__ = ["localize"]


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
        out.set_params(solar_site=tuple(float(v) for v in solar_site))
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
