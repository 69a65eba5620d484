"""Calendars: public holidays (Korean lunar holidays and substitute days included), bridge
days, and holiday features for models. Needs the ``holidays`` package (``calendar`` extra).

Local-time features with daylight saving (23- and 25-hour days) are computed inside the
model graph from local wall-clock time (:class:`energyai.nn.calendar.CalendarFeatures`).
Holidays are not: they change by decree (elections, temporary holidays), so they are
known-future covariates that the caller adds, on the training machine with
:func:`add_holiday_features` and on a device with :func:`holiday_features` (numpy and the
pure-Python ``holidays`` package only).
"""

from energyai.calendar.holidays import add_holiday_features, holiday_calendar, holiday_features

__all__ = ["add_holiday_features", "holiday_calendar", "holiday_features"]
