"""
Schedule expressions as EventBridge reads them (PutRule's
C{ScheduleExpression}): C{rate(value unit)} and C{cron(six fields)}.

A rate is a positive whole number and a unit, singular for 1 and plural
otherwise: C{rate(1 minute)}, C{rate(5 minutes)}, C{rate(2 hours)},
C{rate(1 day)}; nothing else (no seconds, no spaces inside the
parentheses, lower case only).

A cron expression has six fields separated by single spaces -- minutes,
hours, day of month, month, day of week, year -- each a list of values,
ranges (C{a-b}), steps (C{a/n}, C{a-b/n}, C{*/n}) or C{*}; months and
days of the week also by name (C{JAN}, C{MON}); day of month alone may be
C{L}, C{LW} or C{nW}, day of week C{L}, C{nL} or C{n#k}. Exactly one of
day of month and day of week is C{?}. Years are any four digits (AWS takes
C{2500}, although its guide says 1970-2199).
"""

from __future__ import annotations

import re

import attrs

_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^ ()]+(?: [^ ()]+){5})\)")
_NUMBER = re.compile(r"[0-9]+")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class InvalidSchedule(ValueError):
    """
    Not a schedule expression EventBridge takes.
    """


@attrs.frozen
class Rate:
    """
    C{rate(...)}: every C{seconds}.
    """

    value: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.value * {"minute": 60, "hour": 3600, "day": 86400}[self.unit.rstrip("s")]


@attrs.frozen
class Cron:
    """
    C{cron(...)}: the six fields as written.
    """

    fields: tuple[str, ...]


@attrs.frozen
class _Field:
    low: int
    high: int
    # By name, the first worth `low`.
    names: tuple[str, ...] = ()


_MINUTES = _Field(0, 59)
_HOURS = _Field(0, 23)
_DAY_OF_MONTH = _Field(1, 31)
_MONTH = _Field(1, 12, _MONTHS)
_DAY_OF_WEEK = _Field(1, 7, _DAYS)


def parse(text: str) -> Rate | Cron:
    """
    The schedule C{text} names; L{InvalidSchedule} if EventBridge would
    refuse it.
    """
    rate = _RATE.fullmatch(text)
    if rate is not None:
        value = int(rate.group(1))
        unit = rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule(text)
        return Rate(value, unit)
    cron = _CRON.fullmatch(text)
    if cron is None:
        raise InvalidSchedule(text)
    fields = tuple(cron.group(1).split(" "))
    minutes, hours, day_of_month, month, day_of_week, year = fields
    # One of the two days is "?", never both, never neither.
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule(text)
    if not (
        _list(minutes, _MINUTES)
        and _list(hours, _HOURS)
        and (day_of_month == "?" or _day_of_month(day_of_month))
        and _list(month, _MONTH)
        and (day_of_week == "?" or _day_of_week(day_of_week))
        and _year(year)
    ):
        raise InvalidSchedule(text)
    return Cron(fields)


def _value(text: str, field: _Field) -> int | None:
    if _NUMBER.fullmatch(text):
        number = int(text)
        return number if field.low <= number <= field.high else None
    upper = text.upper()
    if upper in field.names:
        return field.low + field.names.index(upper)
    return None


def _item(text: str, field: _Field) -> bool:
    base, slash, step = text.partition("/")
    if slash:
        if not _NUMBER.fullmatch(step) or not 1 <= int(step) <= field.high:
            return False
    if base == "*":
        return True
    first, dash, last = base.partition("-")
    if _value(first, field) is None:
        return False
    return not dash or _value(last, field) is not None


def _list(text: str, field: _Field) -> bool:
    return all(_item(item, field) for item in text.split(","))


def _day_of_month(text: str) -> bool:
    if text in ("L", "LW"):
        return True
    if text.endswith("W"):
        return _value(text[:-1], _DAY_OF_MONTH) is not None
    return _list(text, _DAY_OF_MONTH)


def _day_of_week(text: str) -> bool:
    if text == "L":
        return True
    if text.endswith("L"):
        return _value(text[:-1], _DAY_OF_WEEK) is not None
    day, hash_, nth = text.partition("#")
    if hash_:
        return _value(day, _DAY_OF_WEEK) is not None and nth in ("1", "2", "3", "4", "5")
    return _list(text, _DAY_OF_WEEK)


def _year(text: str) -> bool:
    def four_digits(value: str) -> bool:
        return len(value) == 4 and _NUMBER.fullmatch(value) is not None

    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and (not _NUMBER.fullmatch(step) or int(step) < 1):
            return False
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        if not four_digits(first) or (dash and not four_digits(last)):
            return False
    return True
