"""Plan: what a question says about its sources and time, and what it asks for — before retrieval.

A question across articles names its sources ("according to The Verge and TechCrunch", "the 'Sporting News'
article", "an ESPN article") and sometimes their dates ("published on October 2, 2023", "before November 1, 2023").
``make_plan`` finds each mention of an indexed source (its stored ``source`` metadata, or a short form of it: "The
Independent" for "The Independent - Sports", "New York Times" for "The New York Times"), the date stated with it,
and the part of the question about it; each mention becomes a sub-query filtered to that source (and date), so
every named source contributes passages. A name the question gives as a source that no indexed article has
("a Bloomberg report") is ``unknown``: what that source reported cannot be in the passages, so the answer is a
refusal.

It also says what kind of answer is asked for: ``yes/no`` ("Does ... ?", "Between A and B, was there ...?"),
``choice`` between stated options ("consistent or inconsistent?", "which source ...?" between named sources), or
``open``. Pure functions over the question text and the list of indexed sources: no model, no store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, NamedTuple

from ..text.dates import DATE, MONTH_NAME as _MONTH, parse_date

BEFORE = re.compile(r"\b(?:before|until|prior to|earlier than|by)\s+(?:the\s+)?$", re.I)
AFTER = re.compile(r"\b(?:after|since|following|later than)\s+(?:the\s+)?$", re.I)

# what a question calls a source's writing, and the phrases that name the source of a claim
_KIND = (
    r"(?:article|report|piece|review|post|story|stories|coverage|reporting|feature|column|analysis|op-ed|"
    r"blog|podcast)s?"
)
_NAME = r"(?:The\s+)?[A-Z0-9][\w.&'-]*(?:\s+(?:of\s+|for\s+|&\s+|\|\s+|-\s+)?[A-Z0-9][\w.&'-]*)*"
SOURCE_CUES = (
    # "a New York Times article", "an ESPN report", "the Variety review"
    re.compile(r"\b(?:an?|the|another)\s+(?P<name>" + _NAME + r")\s+" + _KIND + r"\b"),
    # "an article from The Verge", "another by CNET", "a piece in The Washington Post"
    re.compile(
        r"\b(?:" + _KIND + r"|another(?:\s+one)?|one|a separate one)\s+(?:from|by|in|published by|published in)\s+"
        r"(?:an?\s+|the\s+(?=[a-z]))?(?P<name>" + _NAME + r")"
    ),
    # "as reported by Fortune", "as per Engadget" ("according to" is left out: it names people as often)
    re.compile(
        # a bare "outlined by" / "noted by" names people as often ("the plan outlined by Zelensky"): only with "as"
        r"\b(?:as reported by|reported by|as per|as discussed by|as highlighted by|as noted by|as mentioned by|"
        r"as covered by|covered by|as detailed by|as described by|as outlined by|published by)"
        r"\s+(?:an?\s+|the\s+(?=[a-z]))?(?P<name>" + _NAME + ")"
    ),
)
NOT_A_SOURCE = re.compile(r"^(?:" + _MONTH + r"|\d+|The|A|An|This|That|These|Those|It|Its|Their|His|Her)$")

AUX = r"(?:does|did|do|is|was|were|are|has|have|had|can|could|would|will|should|must|might)"
WH = r"(?:who|whom|whose|what|which|when|where|why|how)"
# an indirect question: "can you tell me who ...", "do you know when ...", "could you say how many ..."
INDIRECT = re.compile(
    AUX
    + r"\s+(?:you|anyone|we)\s+(?:\w+\s+)?(?:tell|know|say|find|explain|show|list|name)\b(?:\s+(?:me|us))?\s+"
    + WH
    + r"\b",
    re.I,
)
CHOICE = re.compile(
    r"\b(consistent|inconsistent|similar|different|same|earlier|later|before|after|more|less|"
    r"higher|lower)\s+or\s+(?:an?\s+)?(consistent|inconsistent|different|similar|same|earlier|later|"
    r"before|after|more|less|higher|lower)\b",
    re.I,
)
SOURCE_WHICH = re.compile(
    r"^\s*which\s+(?:news\s+)?(?:source|outlet|publication|site|article|report|one|of\s+the\s+(?:two|three|sources|"
    r"articles|reports))\b",
    re.I,
)


@dataclass
class SubQuery:
    """One named source's part of the question: retrieved from that source's articles (and dates) only."""

    source: str  # as the question names it
    sources: list[str]  # the stored spellings it matches
    query: str  # the part of the question about it
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    date_said: str = ""  # the date as the question states it
    start: int = 0  # where the mention is in the question
    brought: list[int] = field(default_factory=list)  # the numbers of the prompt's passages it retrieved

    def describe(self) -> str:
        when = ""
        if self.since and self.since == self.until:
            when = f", on {self.since}"
        elif self.since or self.until:
            when = "".join(
                [f", since {self.since}" if self.since else "", f", until {self.until}" if self.until else ""]
            )
        return f"{self.source}{when}: {self.query}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sources": self.sources,
            "query": self.query,
            "since": self.since,
            "until": self.until,
            "brought": self.brought,
        }


@dataclass
class Plan:
    question: str
    kind: str = "open"  # "yes/no", "choice" (one of ``options``) or "open"
    options: list[str] = field(default_factory=list)
    subqueries: list[SubQuery] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # names given as sources that no indexed article has

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s.source for s in self.subqueries))

    def across(self) -> bool:
        """Does the question name its sources (so retrieval goes per source)?"""
        return bool(self.subqueries)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "options": self.options,
            "subqueries": [s.to_json() for s in self.subqueries],
            "unknown_sources": self.unknown,
            **({"decided_as": self.decision.question} if self.decision.question else {}),
        }

    @cached_property
    def decision(self) -> Decision:
        """What the model decides when it is not the question as it stands (see ``decision_of``)."""
        return decision_of(self.question, self.kind, self.options)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w&|]+", " ", text).split()).casefold()


def source_aliases(sources: list[str]) -> dict[str, list[str]]:
    """The ways a question may name each stored source → the stored spellings it stands for: the full name, without
    a leading "The", and its head before " - ", " | " or ": " ("FOX News" for "FOX News - Health")."""
    aliases: dict[str, list[str]] = {}
    for s in sources:
        s = " ".join(s.split())
        if not s:
            continue
        forms = {s}
        head = re.split(r"\s+[-|–:]\s+|:\s+", s)[0].strip()
        forms.add(head)
        for f in list(forms):
            if f.startswith("The ") and len(f) > 8:
                forms.add(f[4:])
        for f in forms:
            if len(f) >= 3:
                aliases.setdefault(f, [])
                if s not in aliases[f]:
                    aliases[f].append(s)
    return aliases


def find_mentions(question: str, sources: list[str]) -> list[tuple[int, int, str, list[str]]]:
    """(start, end, name as written, stored spellings) of each mention of an indexed source, longest name first,
    not overlapping, in order. Names are matched with their capitals ("Fortune", not "fortune"), or ignoring case when
    quoted ("'Sporting news'")."""
    aliases = source_aliases(sources)
    taken: list[tuple[int, int, str, list[str]]] = []
    for alias in sorted(aliases, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w])" + re.escape(alias) + r"(?![\w])")
        quoted = re.compile(r"(?<=['\"‘“])" + re.escape(alias) + r"(?=['\"’”])", re.I)
        shouted = re.compile(r"(?<![\w])" + re.escape(alias.upper()) + r"(?![\w])")  # "CNBC" for "Cnbc | ..."
        found = list(pattern.finditer(question)) + list(quoted.finditer(question)) + list(shouted.finditer(question))
        for m in found:
            if any(m.start() < e and s < m.end() for s, e, _, _ in taken):
                continue
            taken.append((m.start(), m.end(), question[m.start() : m.end()], aliases[alias]))
    return sorted(taken)


def unknown_sources(question: str, mentions: list[tuple[int, int, str, list[str]]], sources: list[str]) -> list[str]:
    """Names the question gives as sources ("a Bloomberg article", "as reported by The Wall Street Journal") that
    match no indexed source. A quoted name that matches nothing is read as a title, not a source."""
    known = {_norm(a) for a in source_aliases(sources)}
    out: list[str] = []
    if not known:  # no indexed article names its source: a name cannot be told from a source that is missing
        return out
    for cue in SOURCE_CUES:
        for m in cue.finditer(question):
            name, start, end = m.group("name"), m.start("name"), m.end("name")
            if any(start < e and s < end for s, e, _, _ in mentions):
                continue
            before, after = question[max(0, start - 1) : start], question[end : end + 2]
            if before in "'\"‘“" and before or after[:1] in ("'", "’") and after[1:2] not in ("s",):
                continue  # a quoted title
            if after[:2] in ("'s", "’s"):
                continue  # "Mozilla's perspective": a party, not the source
            if name[-1:] in ("'", "’"):
                continue  # the end of a quoted title
            name = re.sub(r"^The\s+", "", name).strip(" .'-")
            words = name.split()
            if not words or all(NOT_A_SOURCE.match(w) for w in words) or NOT_A_SOURCE.match(words[0]):
                continue
            if _norm(name) in known or any(_norm(name) in k.split(" | ")[0] for k in known if len(name) > 3):
                continue
            if name not in out:
                out.append(name)
    return out


def _dates(question: str) -> list[tuple[int, str, str | None, str | None]]:
    """(position, as written, since, until) for each date the question states, with "before"/"after" read from the
    words in front of it. A stated day is widened by a day either side (publication times are in UTC)."""
    years = [int(y) for y in re.findall(r"\b(20\d{2})\b", question)]
    default_year = years[0] if years else None
    out = []
    for m in DATE.finditer(question):
        got = parse_date(m, default_year)
        if got is None:
            continue
        first, last = got
        lead = question[max(0, m.start() - 30) : m.start()]
        since: str | None = (first - timedelta(days=1)).isoformat()
        until: str | None = (last + timedelta(days=1)).isoformat()
        if BEFORE.search(lead):
            since = None
        elif AFTER.search(lead):
            until = None
        out.append((m.start(), m.group(), since, until))
    return out


def _kind(question: str, mentions: int) -> tuple[str, list[str]]:
    text = question.strip().split("\n")[0]
    choice = CHOICE.search(text)
    if choice and choice.group(1).lower() != choice.group(2).lower():
        return "choice", [choice.group(1).capitalize(), choice.group(2).capitalize()]
    # the main clause: the first clause that starts with an auxiliary or a question word
    clauses = [c.strip() for c in re.split(r"[,;]\s+", text)]
    for clause in clauses:
        if re.match(AUX + r"\b", clause, re.I):
            if INDIRECT.match(clause):  # "can you tell me who won?" asks who won
                return "open", []
            return "yes/no", []
        if re.match(WH + r"\b", clause, re.I):
            if mentions >= 2 and SOURCE_WHICH.match(clause):
                return "choice", []  # the options are the named sources
            if (
                mentions >= 2
                and re.match(r"(?:between|after|before|of)\b", text, re.I)
                and re.match(r"which\b", clause, re.I)
            ):
                return "choice", []
            return "open", []
    return "open", []


# a choice between a word and its negation ("consistent or inconsistent?")
NEGATED_PAIR = re.compile(r"^(?:in|un|dis|non-?)(?P<rest>\w+)$", re.I)


class Decision(NamedTuple):
    question: str = ""  # the yes/no question decided instead ("": the question as it stands)
    yes: str = "Yes"  # what its "Yes" gives
    no: str = "No"  # what its "No" gives


def decision_of(question: str, kind: str, options: list[str]) -> Decision:
    """What is decided when it is not the question as it stands: a choice between a word and its negation
    ("consistent or inconsistent?") is the yes/no question about the word (Yes → "Consistent"). A negated yes/no
    question is decided as it stands: it is as often true as false in the news."""
    if kind == "choice" and len(options) == 2 and (choice := CHOICE.search(question)):  # (else: named sources)
        a, b = options
        for word, negation in ((a, b), (b, a)):
            m = NEGATED_PAIR.match(negation)
            if m and m.group("rest").lower() == word.lower():
                return Decision(question[: choice.start()] + word.lower() + question[choice.end() :], word, negation)
    return Decision()


def make_plan(question: str, sources: list[str]) -> Plan:
    """What the question names (sources, their dates, the part about each) and what kind of answer it wants."""
    mentions = find_mentions(question, sources)
    dates = _dates(question)
    subqueries: list[SubQuery] = []
    for i, (start, end, name, spellings) in enumerate(mentions):
        prev_end = mentions[i - 1][1] if i else 0
        next_start = mentions[i + 1][0] if i + 1 < len(mentions) else len(question)
        # a date stated after this mention and before the next belongs to it
        said = [d for d in dates if end <= d[0] < next_start]
        query = _about(question, prev_end, start, end, next_start)
        name = name.strip("'\"")
        if len(said) > 1 and all(d[2] and d[3] for d in said):  # "on October 2 ... and on October 7": one each
            for _, written, since, until in said:
                subqueries.append(SubQuery(name, spellings, query, since, until, written, start))
            continue
        since = until = None
        if said:  # one date, or a range: "after October 4, 2023, and before November 1, 2023"
            sinces = [d[2] for d in said if d[2]]
            untils = [d[3] for d in said if d[3]]
            since = min(sinces) if sinces else None
            until = max(untils) if untils else None
        date_said = " and ".join(d[1] for d in said)
        subqueries.append(SubQuery(name, spellings, query, since, until, date_said, start))
    kind, options = _kind(question, len({tuple(s.sources) for s in subqueries}))
    if kind == "choice" and not options:
        options = list(dict.fromkeys(s.source for s in subqueries))
    return Plan(question, kind, options, subqueries, unknown_sources(question, mentions, sources))


def _about(question: str, prev_end: int, start: int, end: int, next_start: int) -> str:
    """The part of the question about one mention: the words between the previous mention and the next, without the
    other sources' names and the dates (they are filters, not content). Too few words: the whole question."""
    text = question[prev_end:next_start]
    text = DATE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:.?'\"")
    if len(re.findall(r"[A-Za-z]{4,}", text)) < 5:
        text = re.sub(r"\s+", " ", DATE.sub(" ", question)).strip()
    return text
