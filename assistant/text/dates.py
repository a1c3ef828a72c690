"""Dates in text: the one home of month names, date patterns, their parsers and a date as a sortable number.

- ``MONTHS`` maps a month's name, its three-letter form and "sept" to its number; ``MONTH_WORD`` (lower case, for
  case-insensitive patterns) and ``MONTH_NAME`` (capitalised, an optional full stop) are the same names as patterns.
- ``DATE`` finds a date a question or an answer states ("2023-10-02", "October 2, 2023", "2 October", "May 2012");
  ``parse_date`` reads a match as the inclusive range of days it names.
- ``dateline_date`` reads the dateline opening an article ("WASHINGTON, Nov. 18, 2024 (Reuters) -");
  ``split_date_stamp`` the date stamp opening a search snippet ("Feb 7, 2021 ... The game ...").
- ``date_key`` (a stored date, leniently) and ``day_int`` (a date a user gives, strictly) turn a day into YYYYMMDD, the
  number range filters compare.
- ``source_and_day`` is how a passage or a citation says where and when it was published: "Reuters, 2024-11-18".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ..errors import AssistantError

MONTH_NAMES = "january february march april may june july august september october november december".split()
MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

# each month's shortest and longest spelling: "jan(?:uary)?", "june?", "sept?(?:ember)?"
_SPELLINGS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
    "nov(?:ember)?|dec(?:ember)?"
)
MONTH_WORD = "(?:" + _SPELLINGS + ")"  # for patterns compiled with re.I
MONTH_NAME = "(?:" + "|".join(s[0].upper() + s[1:] for s in _SPELLINGS.split("|")) + r")\.?"  # case-sensitive

DATE = re.compile(
    r"(?P<iso>\b\d{4}-\d{2}-\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b(?P<md_m>" + MONTH_NAME + r")\s+(?P<md_d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<md_y>\d{4})\b)?"
    r"|\b(?P<dm_d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm_m>" + MONTH_NAME + r")(?:,?\s+(?P<dm_y>\d{4})\b)?"
    r"|\b(?P<my_m>" + MONTH_NAME + r")\s+(?P<my_y>\d{4})\b",
)


def parse_date(m: re.Match, default_year: int | None) -> tuple[date, date] | None:
    """The day (or month) a DATE match names, as an inclusive range."""
    try:
        if m.group("iso"):
            d = date.fromisoformat(m.group("iso"))
            return d, d
        if m.group("md_m") or m.group("dm_m"):
            month = MONTHS[(m.group("md_m") or m.group("dm_m")).rstrip(".").lower()]
            day = int(m.group("md_d") or m.group("dm_d"))
            year = m.group("md_y") or m.group("dm_y")
            y = int(year) if year else default_year
            if y is None:
                return None
            d = date(y, month, day)
            return d, d
        if m.group("my_m"):
            month = MONTHS[m.group("my_m").rstrip(".").lower()]
            y = int(m.group("my_y"))
            first = date(y, month, 1)
            last = (date(y + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
            return first, last
    except (KeyError, ValueError):
        return None
    return None


# ---- the date an article states about itself

_MONTH = "(?P<month>" + _SPELLINGS + r")\.?"
DATELINE = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
]
_SPACE = re.compile(r"\s*")  # what str.strip() strips


def dateline_date(text: str, window: int = 160, start: int = 0) -> str:
    """An ISO date from a dateline at the very start of an article (from ``start``: "WASHINGTON, Nov. 18, 2024
    (Reuters) -", "18 November 2024 —", "2024-11-18:"), else "". Only the first line, up to ``window`` characters,
    is read: a date further on is about something else."""
    begin = _SPACE.match(text, start).end()  # type: ignore[union-attr]  # \s* always matches
    head = text[begin : begin + window].split("\n", 1)[0]
    for pattern in DATELINE:
        m = pattern.search(head)
        if not m:
            continue
        month = int(m["mnum"]) if "mnum" in m.groupdict() and m["mnum"] else MONTHS[m["month"][:3].lower()]
        try:
            return date(int(m["year"]), month, int(m["day"])).isoformat()
        except ValueError:
            continue
    return ""


STAMP = re.compile(r"^\s*(?P<date>(?:(?!\.\.\.)[^…·|\n]){6,32}?)\s*(?:\.{3}|…|·|\|)\s*")


def split_date_stamp(text: str) -> tuple[str, str]:
    """A date stamp opening a search snippet ("Feb 7, 2021 ... The game was played ...", "2021-02-07 · ...") →
    (its ISO date, the text after it); ("", text) when the text opens with no such stamp. Only a whole date
    followed by an ellipsis, "·" or "|" counts: "Feb 7, 2021, the game ..." is a sentence, not a stamp."""
    m = STAMP.match(text)
    if not m:
        return "", text
    stamp = m["date"].strip().rstrip(",")
    iso = dateline_date(stamp)
    for pattern in DATELINE:
        hit = pattern.fullmatch(stamp)
        if hit and iso:
            return iso, text[m.end() :]
    return "", text


# ---- a day as a number: YYYYMMDD


def _day_number(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def date_key(value: str) -> int | None:
    """'2024-11-18T10:00:00+00:00' → 20241118, for range filters; None when there is no usable date."""
    if not value:
        return None
    text = value.strip()
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            d = date.fromisoformat(text[:10])
        except ValueError:
            return None
    return _day_number(d)


def day_int(value: str, flag: str) -> int:
    """A day the user gives (``--since 2024-11-01``) → 20241101; a one-line error naming ``flag`` when it is none."""
    try:
        d = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise AssistantError(f"{flag} '{value}' is not a date; use YYYY-MM-DD") from None
    return _day_number(d)


def source_and_day(source: str, published_at: str) -> str:
    """Where and when, as a citation shows it: "Reuters, 2024-11-18" (either part may be missing; "" for none)."""
    return ", ".join(x for x in (source, published_at[:10]) if x)
