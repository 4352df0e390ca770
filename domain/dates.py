"""Dates and times typed the way Vietnamese users type them: `15/12 19:30`, `19h30 15/12`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class DateProblem(StrEnum):
    MALFORMED = "malformed"
    IMPOSSIBLE = "impossible"
    MISSING_TIME = "missing_time"
    PAST = "past"
    TOO_FAR = "too_far"
    WRONG_WEEKDAY = "wrong_weekday"


@dataclass(frozen=True)
class ParsedDateTime:
    value: datetime | None
    problem: DateProblem | None
    # The date and time read, when the problem is that the weekday typed with it is another
    # day's: the reply shows the date's real weekday.
    read_as: datetime | None = None


MAX_TEXT = 60
# A meeting more than this far ahead is almost surely a typo (a wrong year).
FARTHEST = timedelta(days=400)

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?(?!\d)")
_TIME = re.compile(
    r"(?<![\d/.\-])(\d{1,2})\s*(?:giờ|[:hg])\s*(\d{2})?\s*(?:phút|p|')?(?![\d/.\-])", re.IGNORECASE
)
_FILLER = re.compile(r"\b(ngày|ngay|lúc|luc|at|on|sáng|sang|trưa|trua)\b|[,;]", re.IGNORECASE)
_AFTERNOON = re.compile(r"\b(chiều|chieu|tối|toi|pm)\b", re.IGNORECASE)
# In Vietnamese, with or without accents (phones without a Vietnamese keyboard), or English.
_WEEKDAY = re.compile(
    r"\b(?:(?:thứ|thu)\s*(?P<word>hai|ba|tư|tu|năm|nam|sáu|sau|bảy|bẩy|bay|[2-7])"
    r"|t(?P<short>[2-7])|(?P<sunday>chủ\s*nhật|chu\s*nhat|cn)"
    r"|(?P<english>mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b",
    re.IGNORECASE,
)
# Monday is 0, as in date.weekday(); "thứ hai" (the second day) is Monday.
_WEEKDAY_WORDS = {
    "hai": 0,
    "ba": 1,
    "tư": 2,
    "tu": 2,
    "năm": 3,
    "nam": 3,
    "sáu": 4,
    "sau": 4,
    "bảy": 5,
    "bẩy": 5,
    "bay": 5,
}
_ENGLISH_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A date without a year this recently past is a mistake, not next year's date.
RECENT_PAST = timedelta(days=31)


def parse_local_datetime(text: str, now: datetime, zone: ZoneInfo) -> ParsedDateTime:
    """A future moment from typed text, read in ``zone``; or why the text isn't one.

    Without a year, the next such date from today is meant: `05/01` typed in December is
    next January.
    """
    if len(text) > MAX_TEXT:
        return ParsedDateTime(None, DateProblem.MALFORMED)
    cleaned = text.strip().lower()
    date_match = _DATE.search(cleaned)
    if date_match is None:
        return ParsedDateTime(None, DateProblem.MALFORMED)
    rest = cleaned[: date_match.start()] + " " + cleaned[date_match.end() :]
    time_match = _TIME.search(rest)
    afternoon = _AFTERNOON.search(rest) is not None
    without_time = _TIME.sub(" ", rest, count=1) if time_match else rest
    leftover = _FILLER.sub(" ", _WEEKDAY.sub(" ", without_time))
    if _AFTERNOON.sub(" ", leftover).strip():
        return ParsedDateTime(None, DateProblem.MALFORMED)
    # A day that does not exist is said so first: asking for the time of 32/13 would only
    # lead to a second refusal.
    moment_date = _typed_date(date_match, now.astimezone(zone).date())
    if moment_date is None:
        return ParsedDateTime(None, DateProblem.IMPOSSIBLE)
    if time_match is None:
        return ParsedDateTime(None, DateProblem.MISSING_TIME)
    hour, minute = int(time_match.group(1)), int(time_match.group(2) or 0)
    if hour > 23 or minute > 59:
        return ParsedDateTime(None, DateProblem.IMPOSSIBLE)
    if afternoon and hour < 12:
        hour += 12  # "7h tối" is 19:00
    moment = datetime.combine(moment_date, time(hour, minute), tzinfo=zone)
    weekday = _typed_weekday(rest)
    if weekday is not None and weekday != moment_date.weekday():
        return ParsedDateTime(None, DateProblem.WRONG_WEEKDAY, moment)
    if moment <= now:
        return ParsedDateTime(None, DateProblem.PAST)
    if moment - now > FARTHEST:
        return ParsedDateTime(None, DateProblem.TOO_FAR)
    return ParsedDateTime(moment, None)


def parse_time_of_day(text: str) -> time | None:
    """`19:30`, `19h30`, `19h`, `7g30`: a time of day, or None."""
    match = _TIME.fullmatch(text.strip().lower())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _typed_date(match: re.Match[str], today: date) -> date | None:
    """The day a `_DATE` match names, or None when there is no such day."""
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    if year_text is not None:
        return _date_or_none(int(year_text) + (2000 if len(year_text) == 2 else 0), month, day)
    this_year = _date_or_none(today.year, month, day)
    if this_year is not None and this_year < today - RECENT_PAST:
        return _date_or_none(today.year + 1, month, day)
    return this_year


def _typed_weekday(text: str) -> int | None:
    """The weekday named in the text ("thứ 7", "T7", "thứ bảy", "CN", "Sat"), Monday being 0."""
    match = _WEEKDAY.search(text)
    if match is None:
        return None
    word, short, sunday, english = match.group("word", "short", "sunday", "english")
    if sunday:
        return 6
    if english:
        return _ENGLISH_WEEKDAYS.index(english.lower())
    number = word if word and word.isdigit() else short
    if number:
        return int(number) - 2
    return _WEEKDAY_WORDS[word.lower()]


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
