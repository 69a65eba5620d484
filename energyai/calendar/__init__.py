"""Calendars: public holidays (Korean lunar holidays and substitute days included), bridge
days, and holiday features for models. Needs the ``holidays`` package (``calendar`` extra).

Local-time features with daylight saving (23- and 25-hour days) are computed inside the
model graph from local wall-clock time (:class:`energyai.nn.calendar.CalendarFeatures`).
Holidays can be too: ``Forecaster(..., holidays="KR")`` puts a day table
(:func:`holiday_table`) into the network, looked up by local date, so an exported file
needs no ``holidays`` package; a holiday declared after training is given through the
``holiday_override`` input. They can also be known-future covariates that the caller adds
(:func:`add_holiday_features` on frames, :func:`holiday_features` on arrays).
"""

from energyai.calendar.holidays import add_holiday_features, holiday_calendar, holiday_features, holiday_table

__all__ = ["add_holiday_features", "holiday_calendar", "holiday_features", "holiday_table"]
