"""
Property tests of the schedule expression parser against an independent
statement of AWS's rules: rates by construction, cron expressions built
from each field's grammar, and anything else never crashing it.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ruststack.events import schedule

UNITS = ["minute", "minutes", "hour", "hours", "day", "days", "second", "seconds", "week", "Minutes", "DAYS", ""]


@given(st.integers(-5, 10_000), st.sampled_from(UNITS), st.sampled_from([" ", "  ", "", "\t"]))
def test_rates(value, unit, space):
    text = f"rate({value}{space}{unit})"
    valid = (
        space == " "
        and value >= 1
        and unit in ("minute", "minutes", "hour", "hours", "day", "days")
        and (value == 1) == (not unit.endswith("s"))
    )
    try:
        parsed = schedule.parse(text)
    except schedule.InvalidSchedule:
        assert not valid, text
    else:
        assert valid, text
        assert isinstance(parsed, schedule.Rate)
        assert parsed.seconds == value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


def _numbers(low: int, high: int, names: tuple[str, ...] = ()):
    value = st.integers(low, high).map(str)
    if names:
        value = value | st.sampled_from(names) | st.sampled_from(names).map(str.lower)
    single = value
    ranged = st.tuples(value, value).map("-".join)
    stepped = st.tuples(st.sampled_from(["*"]) | single | ranged, st.integers(1, high).map(str)).map("/".join)
    item = single | ranged | stepped | st.just("*")
    return st.lists(item, min_size=1, max_size=3).map(",".join)


MINUTES = _numbers(0, 59)
HOURS = _numbers(0, 23)
DAY_OF_MONTH = _numbers(1, 31) | st.sampled_from(["L", "LW"]) | st.integers(1, 31).map(lambda d: f"{d}W")
MONTH = _numbers(1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
DAY_OF_WEEK = (
    _numbers(1, 7, DAYS)
    | st.just("L")
    | st.integers(1, 7).map(lambda d: f"{d}L")
    | st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}")
)
YEARS = st.tuples(st.integers(1970, 2000), st.integers(2001, 2199)).map(lambda t: f"{t[0]}-{t[1]}")
YEAR = st.just("*") | st.integers(1970, 2199).map(str) | YEARS


@st.composite
def crons(draw):
    days = draw(st.sampled_from(["month", "week"]))
    dom = draw(DAY_OF_MONTH) if days == "month" else "?"
    dow = draw(DAY_OF_WEEK) if days == "week" else "?"
    return (draw(MINUTES), draw(HOURS), dom, draw(MONTH), dow, draw(YEAR))


@given(crons())
def test_cron_expressions_built_from_the_grammar_are_taken(fields):
    parsed = schedule.parse(f"cron({' '.join(fields)})")
    assert parsed == schedule.Cron(fields)


@given(crons(), st.integers(0, 4), st.sampled_from(["60", "99", "-1", "?", "", "x", "1/0", "*/*", "JANUARY"]))
def test_a_field_out_of_its_grammar_is_refused(fields, index, bad):
    # Minutes, hours, day of month, month: none takes these values.
    if index == 4:
        index = 3
    changed = list(fields)
    changed[index] = bad
    if bad == "?" and index == 2:
        return  # a "?" day of month is right when day of week is not "?"
    text = f"cron({' '.join(changed)})"
    try:
        schedule.parse(text)
    except schedule.InvalidSchedule:
        return
    raise AssertionError(f"taken: {text}")


@given(crons())
def test_both_days_or_neither_is_refused(fields):
    minutes, hours, _, month, _, year = fields
    for dom, dow in (("?", "?"), ("1", "MON"), ("*", "*")):
        try:
            schedule.parse(f"cron({minutes} {hours} {dom} {month} {dow} {year})")
        except schedule.InvalidSchedule:
            continue
        raise AssertionError((dom, dow))


ANYTHING = (
    st.text(max_size=60) | st.text(max_size=40).map("cron({})".format) | st.text(max_size=20).map("rate({})".format)
)


@given(ANYTHING)
def test_anything_else_is_taken_or_refused_never_a_crash(text):
    try:
        parsed = schedule.parse(text)
    except schedule.InvalidSchedule:
        return
    assert isinstance(parsed, (schedule.Rate, schedule.Cron))
