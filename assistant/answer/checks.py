"""Does the answer answer the question? Checked after the citations, on the verified answer.

A sentence can be stated by its passage and still not answer what was asked: a distance given for "how many
missiles", a year-old result for "who won in 2021", the loser's name for "who won". The verifier passes those (every
name and number is in the cited passage); these checks catch them. ``Asked`` is what the question asks for, parsed
once; each check returns the reason it failed, or None:

- ``kind``: the answer gives a value of the asked kind: "when" a date, "what year" a year, "how many <things>" a count
  (not a distance, a share or an amount of money), "how much does it cost" an amount of money, "who"/"where" a name
  the question does not already give.
- ``year``: each year the question states ("in 2021", "the 2021 final") is a claim of the cited passages: in their
  text, not only as "since 2021" / "until 2021" / "before 2021", or the year they were published.
- ``winner``: a "who won" answer is not the name its cited sentences give only as the loser ("X lost to Y",
  "Y defeated X").
- ``runner-up``: a "who was the runner-up" answer is a name its cited passage gives near a word of losing or coming
  second, and not only as the winner ("France beat Croatia" does not make France the runner-up).

``precise_dates`` completes a "when" answer's date from its evidence sentence ("November 15" → "November 15, 2020").

When a check fails, the pipeline answers again from the passages that could satisfy it (``could_answer``), and when
none can, or the second answer fails too, it refuses and keeps the withheld answer in ``unsupported``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from ..text import YES_NO, entities_in, stopwords, entity_occurs, split_sentences, stemmer, strip_citations
from ..text.dates import MONTH_WORD as MONTH
from ..types import AnswerCheck, Passage, SentenceCheck

if TYPE_CHECKING:
    from .verify import Verification

YEAR = re.compile(r"(?<![\w.$€£-])((?:19|20)\d\d)(?![\w%])")
DATE = re.compile(  # anything that says when: a date, a year, a weekday, a time of day, a season, a relative time
    r"\b" + MONTH + r"\b\.?|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|"
    r"\b(?:yesterday|today|tomorrow|tonight|midnight|noon|midday|morning|afternoon|evening|night|dawn|dusk|weekend|"
    r"spring|summer|autumn|fall|winter|season|quarter|q[1-4]|decade|century|soon|later|earlier|ago|recently|"
    r"now|currently|annually|daily|weekly|monthly|yearly|hourly)\b|"
    r"\b\d{1,2}(?::\d\d)?\s*(?:a\.?m\.?|p\.?m\.?|o'clock|h)\b|\b\d{1,2}:\d\d\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
    r"\b(?:next|last|this|coming|past|previous|following|same|every|each)\s+(?:week|month|year|day|time)s?\b|"
    r"\b(?:before|after|during|until|since|by|within)\s+(?:the\s+)?\w+",
    re.I,
)
MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\b\d[\d,.]*\s*(?:million|billion|trillion|m|bn|k)?\s*(?:dollars?|euros?|pounds?|yen|yuan|"
    r"rupees?|usd|eur|gbp|francs?|won|pesos?|rubles?|roubles?)\b|\b(?:usd|eur|gbp|us\$|rs\.?)\s?\d",
    re.I,
)
COUNT_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozens?|a dozen"
)
QUANTITY = re.compile(r"(?<![\w.])(?:\d[\d,]*(?:\.\d+)?|(?:" + COUNT_WORD + r")\b)", re.I)
# a number followed by one of these measures something other than a count of things
MEASURES = frozenset(
    "mile kilomet km meter metr feet foot inch yard percent per cent dollar euro pound yen yuan rupe ton tonn kg "
    "kilogram gram litr liter gallon hour minut second day week month year decad centuri acr hectar degre mph kph "
    "mw gw kw kwh watt volt byte gb mb tb".split()
)
MONEY_VERBS = re.compile(
    r"\bhow much\b.*\b(?:cost|costs|price|prices|priced|pay|paid|pays|spend|spent|worth|charge|charged|earn|earned|"
    r"sell|sold|raise|raised|fund|funding|budget|money|salary|fine|fined|fee|fees|bid|valued|value|invest|invested)\b|"
    r"\bhow much did\b.*\b(?:acquire|buy|bought|purchase|sell)\b.*\bfor\b|\bhow expensive\b|"
    r"\bwhat (?:is|was|will be) the (?:price|cost)\b",
    re.I,
)
MONEY_NOUNS = re.compile(
    r"^\W*what(?:'s| is| was| were| are| will be)\b.{0,60}\b(?:revenues?|sales|profits?|income|earnings|price|cost|"
    r"salary|valuation|market (?:cap|value)|net worth|fortune)\b",
    re.I,
)
DATE_ASKED = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(?:date|day|month)\b|\bwhen (?:is|was|will|did|does|do|are|were|has|have)\b|"
    r"\b(?:what|when)(?:'s| is| was| will be)? (?:the )?(?:\w+ )?(?:release|premiere|launch|air|opening|start|due|"
    r"expiry|expiration)?\s?date\b"
)
AUX = frozenset(
    "is are was were be been do does did have has had will would can could should shall may might must in on at "
    "of for to from by with per that which who whom whose".split()
)
WON = re.compile(
    r"\bwho (?:won|wins|will win|has won|had won|claimed|took home|lifted|clinched|captured)\b|\bwinners?\b|"
    r"\bchampions?\b|\bwho (?:is|was) (?:the )?(?:winner|champion)\b|\b(?:which|what) \w+ (?:won|wins|will win)\b",
    re.I,
)
RUNNER_UP = re.compile(
    r"\brunners?[- ]up\b|\bwho (?:lost|was defeated|was beaten|finished second|came second)\b|\bsecond place\b|"
    r"\blosing finalists?\b",
    re.I,
)
NOT_OWN_YEAR = re.compile(
    r"\b(?:since|until|till|before|after|by|through|prior to|ahead of|as of|starting|beginning)\s+(?:\w+\s+)?$",
    re.I,
)


@dataclass
class Asked:
    """What a question asks for."""

    kind: str = ""  # date | year | count | money | name | "" (nothing the checks can hold it to)
    thing: frozenset[str] = frozenset()  # "how many <things>": stems of the words naming the things
    years: tuple[str, ...] = ()  # years the question states as its own (not "since 2018")
    winner: bool = False  # asks who won
    question: str = ""
    numbers: tuple[tuple[str, str], ...] = ()  # which one of a series it asks about: "season 4" → ("season", "4")
    names: tuple[tuple[str, ...], ...] = ()  # the names it gives, each as its distinctive words (question_names)
    runner_up: bool = False  # asks who lost, or came second

    @property
    def checks_anything(self) -> bool:
        return bool(self.kind or self.years or self.winner or self.numbers or self.runner_up)


def parse_question(question: str) -> Asked:
    q = " ".join(strip_citations(question).split())
    low = q.lower()
    kind = ""
    thing: frozenset[str] = frozenset()
    if re.search(r"\b(?:what|which) year\b|\bin what year\b", low):
        kind = "year"
    elif re.match(r"^\W*when\b", low) or DATE_ASKED.search(low):
        kind = "date"
    elif MONEY_VERBS.search(low) or MONEY_NOUNS.search(low):
        kind = "money"
    elif m := re.search(r"\bhow many\s+(.*)", low):
        words = re.findall(r"[a-z][\w'-]*", m.group(1))
        named = []
        for w in words[:4]:
            if w in AUX:
                break
            named.append(stemmer().stemWord(w))
        kind, thing = "count", frozenset(named)
    elif (
        re.match(r"^\W*who\b", low)
        or re.match(
            r"^\W*(?:which|what) (?:team|player|country|city|"
            r"company|person|club|nation|band|artist|movie|film|song|album|book|novel|show|director|actor|actress|singer)\b",
            low,
        )
        or re.match(
            r"^\W*(?:what(?:'s| is| was| are| were)|give|tell me) the names? of (?:the )?(?:[\w.]+ )?"
            r"(?:official|person|man|woman|spokes\w+|minister|president|leader|company|group|author|player|team|country)s?\b",
            low,
        )
    ):
        kind = "name"
    years = []
    for m in YEAR.finditer(q):
        if not NOT_OWN_YEAR.search(q[: m.start()][-30:]):
            years.append(m.group(1))
    numbers = serial_numbers(q)
    return Asked(
        kind,
        thing,
        tuple(dict.fromkeys(years)),
        bool(WON.search(low)) and not RUNNER_UP.search(low),
        q,
        tuple(dict.fromkeys(numbers)),
        tuple(tuple(words) for words in question_names(q)),
        bool(RUNNER_UP.search(low)),
    )


# a number that says which one of a series ("season 4" is not season 5)
SERIAL = re.compile(
    r"\b(season|episode|series|part|chapter|volume|vol\.|book|generation|version|phase|"
    r"edition|level)\s*(\d{1,3}|[ivx]{1,4})\b",
    re.I,
)
ORDINALS = {
    w: str(i + 1)
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
        "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
    )
}
SERIES_WORDS = r"season|episode|series|part|chapter|volume|book|generation|version|phase|edition|level"
# "the fourth season", "the tenth and final season", "4th season"
ORDINAL_SERIAL = re.compile(
    r"\b("
    + "|".join(ORDINALS)
    + r"|\d{1,3}(?:st|nd|rd|th))\s+(?:(?:and\s+)?(?:final|last|new|latest|upcoming)\s+)?("
    + SERIES_WORDS
    + r")\b",
    re.I,
)


def serial_numbers(text: str) -> list[tuple[str, str]]:
    """Which ones of a series the text names: "season 4" and "the fourth season" → [("season", "4")]."""
    out = [(m.group(1).lower().rstrip("."), m.group(2).lower()) for m in SERIAL.finditer(text)]
    for m in ORDINAL_SERIAL.finditer(text):
        word = m.group(1).lower()
        out.append((m.group(2).lower(), ORDINALS.get(word) or re.sub(r"\D", "", word)))
    return list(dict.fromkeys(out))


ROMAN = {"1": "i", "2": "ii", "3": "iii", "4": "iv", "5": "v", "6": "vi", "7": "vii", "8": "viii", "9": "ix", "10": "x"}


def number_holds(number: str, text_lower: str) -> bool:
    """The number of a series the question asks about ("season 4") occurs in the text, as a word or a Roman
    numeral ("Part II")."""
    if re.search(r"(?<![\w.])" + re.escape(number) + r"(?![\w]|[.,]\d)", text_lower):
        return True
    other = ROMAN.get(number) or next((d for d, r in ROMAN.items() if r == number), None)
    return bool(other and re.search(r"(?<![\w.])" + other + r"(?![\w]|[.,]\d)", text_lower))


# ---- the value an answer (or a passage) gives


def has_count(text: str, thing: frozenset[str]) -> bool:
    """A number that counts things: not one followed by a measure (miles, percent, dollars) other than the things
    asked for, nor a money amount, nor a year."""
    for m in QUANTITY.finditer(text):
        before = text[max(0, m.start() - 2) : m.start()]
        if re.search(r"[$€£¥₹]\s?$", before) or YEAR.fullmatch(m.group()):
            continue
        after = [stemmer().stemWord(w.lower()) for w in re.findall(r"[A-Za-z%]+", text[m.end() : m.end() + 30])[:2]]
        after = ["percent" if w == "%" else w for w in after]
        if after and text[m.end() : m.end() + 1] == "%":
            after = ["percent"]
        measure = next((w for w in after if w in MEASURES), None)
        if measure is not None and measure not in thing:
            continue
        return True
    return False


NOT_NAMES = re.compile(r"^(?:" + MONTH + r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\.?$", re.I)


def names_beyond(text: str, question: str) -> list[str]:
    """Capitalised names in the text that the question does not already give (months and weekdays are no names)."""
    lower_q = question.lower()
    return [e for e in entities_in(text) if not entity_occurs(e, lower_q) and not NOT_NAMES.match(e)]


def lead_name(text: str, question: str) -> list[str]:
    """The words of the first name in the text the question does not give: "Emmanuel Macron won ..." →
    ["Emmanuel", "Macron"]."""
    names = names_beyond(text, question)
    if not names:
        return []
    start = text.find(names[0]) + len(names[0])
    more = re.match(r"(?:\s+[A-Z][\w’'.-]*)*", text[start:])
    return [names[0]] + [w.strip(".'’-") for w in (more.group().split() if more else [])]


def gives_kind(text: str, asked: Asked) -> bool:
    if asked.kind == "date":
        return bool(DATE.search(text))
    if asked.kind == "year":
        return bool(YEAR.search(text))
    if asked.kind == "money":
        return bool(MONEY.search(text))
    if asked.kind == "count":
        return has_count(text, asked.thing)
    if asked.kind == "name":
        return bool(names_beyond(text, asked.question))
    return True


KIND_WORDS = {
    "date": "when: the answer gives no date",
    "year": "which year: the answer gives no year",
    "money": "how much money: the answer gives no amount of money",
    "count": "how many: the answer gives no count of them (a number of another kind is no answer)",
    "name": "who: the answer names no one the question does not already name",
}


def own_year(year: str, text: str) -> bool:
    """The year occurs in the text as its own claim, not only as "since 2018", "until 2018"."""
    for m in re.finditer(r"(?<![\w.])" + year + r"(?![\w%])", text):
        if not NOT_OWN_YEAR.search(text[: m.start()][-30:]):
            return True
    return False


def year_holds(year: str, passage_text: str, published_at: str) -> bool:
    return own_year(year, passage_text) or published_at[:4] == year


LOSER_AFTER = (
    r"\s+(?:\w+\s+){0,2}?(?:lost|loses|losing|fell|falls|was defeated|were defeated|was beaten|were beaten|"
    r"finished second|finished runner-up|was the runner-up|went down|bowed out|was eliminated)\b"
)
LOSER_BEFORE = (
    r"\b(?:defeated|defeats|defeating|beat|beats|beating|overcame|overcomes|edged|edges|downed|downs|"
    r"topped|tops|routed|routs|stunned|stuns|outlasted|outlasts|upset|upsets|over|against)\s+(?:the\s+)?"
    r"(?:\w+\s+){0,2}?"
)


def only_loser(name: str, sentences: list[str]) -> bool:
    """Every sentence that names ``name`` names it as the loser ("Zverev lost to Thiem", "Thiem defeated Zverev")."""
    said = [s for s in sentences if name.lower() in s.lower()]
    if not said:
        return False
    for s in said:
        esc = re.escape(name)
        loser = re.search(esc + LOSER_AFTER, s, re.I) or re.search(LOSER_BEFORE + esc + r"\b", s, re.I)
        winner = re.search(
            esc + r"\s+(?:\w+\s+){0,2}?(?:won|wins|winning|defeated|defeats|beat|beats|claimed|clinched|took|lifted|"
            r"captured|triumphed|is the champion|was crowned|became)\b",
            s,
            re.I,
        )
        if not loser or winner and winner.start() < loser.start():
            return False
    return True


# ---- the checks


@dataclass
class Given:
    """What a check reads: the question asked, the answer's supported sentences, and the passages they cite."""

    asked: Asked
    answer: str  # the supported sentences, citations stripped
    cited: list[Passage]
    seen: dict[int, str]  # passage n → its text as the model saw it
    evidence: list[tuple[int, str]] = field(default_factory=list)  # (passage n, its sentence that supports a claim)

    @cached_property
    def sentences(self) -> list[str]:
        """The cited passages' sentences, as the model saw them (split once, for every check that reads them)."""
        return [s for p in self.cited for s in split_sentences(self.seen.get(p.n, p.text))]


# "a Colombian has won": a capitalised word after "a"/"an", then a verb or the end of a clause, says what kind of
# person, not who ("an Apple spokesperson said" is left alone: a noun follows)
INDEFINITE = (
    r"\b(?:a|an)\s+{}(?=\s+(?:has|have|had|is|was|were|are|will|won|wins|took|claimed|became|finished|beat|"
    r"defeated|leads|led)\b|\s*[,.;:!?)]|\s*$)"
)


def only_a_kind(name: str, sentences: list[str]) -> bool:
    """Every cited sentence that holds the name says "a <name>" / "an <name>" ("a Colombian has won")."""
    said = [s for s in sentences if re.search(r"\b" + re.escape(name) + r"\b", s)]
    pattern = INDEFINITE.format(re.escape(name))
    return bool(said) and all(
        len(re.findall(pattern, s, re.I)) == len(re.findall(r"\b" + re.escape(name) + r"\b", s)) for s in said
    )


def kind_check(g: Given) -> str | None:
    if g.asked.kind and not gives_kind(g.answer, g.asked):
        return f"the question asks {KIND_WORDS[g.asked.kind]}"
    if g.asked.kind == "name":
        names = names_beyond(g.answer, g.asked.question)
        if names and all(only_a_kind(n, g.sentences) for n in names):
            return f"the question asks who; the cited passages say only 'a {names[0]}', what kind of one, not who"
    return None


def year_check(g: Given) -> str | None:
    """Each year the question states is said in the cited passages (or is their year of publication); and a date
    given for an event of a stated year ("the 2021 NBA Draft") that falls in another year comes from a sentence
    that says the asked year ("Date: Wednesday, November 18, 2020." is the date of another draft)."""
    for year in g.asked.years:
        if not any(year_holds(year, g.seen.get(p.n, p.text), str(p.metadata.get("published_at", ""))) for p in g.cited):
            return f"the question asks about {year}; the cited passages do not say it of {year}"
    if g.asked.kind in ("date", "year") and g.asked.years and g.evidence:
        given = [y for y in dict.fromkeys(YEAR.findall(g.answer)) if y not in g.asked.years]
        evidence = " ".join(t for _, t in g.evidence)
        if given and not any(own_year(y, evidence) for y in g.asked.years):
            asked = " / ".join(g.asked.years)
            return (
                f"the question asks about {asked}; the answer's date is in {given[0]}, from a sentence that does not "
                f"say {asked}"
            )
    return None


SUPERSEDED = re.compile(
    r"\boriginal (?:release |launch |premiere |air |start )?date\b|"
    r"\b(?:original(?:ly)?|initially|first) (?:scheduled|set|slated|planned|announced|expected|due|targeted)\b|"
    r"\bwas (?:supposed|meant) to\b|\bbefore (?:it|the \w+) was (?:delayed|postponed|pushed back)\b",
    re.I,
)


def superseded_check(g: Given) -> str | None:
    """A date the sentence that answers gives as the one first planned ("Cyberpunk 2077's original release date was
    April 16, 2020"; "initially scheduled for May") is not when it happened."""
    if g.asked.kind not in ("date", "year") or not g.evidence:
        return None
    dated = [t for _, t in g.evidence if DATE.search(t)]
    if dated and all(SUPERSEDED.search(t) for t in dated):
        return "the question asks when; the sentence that answers gives the date first planned, since changed"
    return None


def subject_check(g: Given) -> str | None:
    """The cited passages do not speak of another one of the series the question asks about: asked about "season 4"
    (or "the fourth season"), an answer from a passage on "season 5" or "the tenth and final season" (and not on
    season 4) is about another event. A passage that names no season at all is no evidence against it."""
    text = " ".join(g.seen.get(p.n, p.text) for p in g.cited).lower()
    for word, number in g.asked.numbers:
        named = {m.group(1) for m in re.finditer(re.escape(word) + r"\s*(\d{1,3}|[ivx]{1,4})\b", text)}
        named |= {n for w, n in serial_numbers(text) if w == word}
        if named and not any(number_holds(number, n) for n in named):
            others = ", ".join(f"{word} {n}" for n in sorted(named))
            return f"the question asks about {word} {number}; the cited passages speak of {others}"
    return None


WIN_WORD = re.compile(
    r"\b(?:won|wins|win|winning|winners?|champions?|championships?|titles?|victor(?:y|ies|ious)|triumph\w*|beat|beats|"
    r"beating|defeat(?:s|ed|ing)?|crowned|clinch\w*|claim\w*|lift\w*|captur\w*|gold|trophy|elected|awarded|"
    r"took home|prevail\w*|chose|chosen|elect|\w+-elect|next president|voted in|sworn in|"
    r"(?:lost|los[ei]ng|fell|bowed) to|(?:beaten|defeated|edged|upset) by)\b",
    re.I,
)


# a win of one part of an event: "Cavendish wins stage 13 of the Tour de France" is no Tour de France win
PART_WIN = re.compile(
    r"\b(?:won|wins|win|winning|winner of|claim(?:s|ed)?|took|takes|clinch(?:es|ed)?)\s+(?:the\s+|a\s+|his\s+|her\s+|"
    r"their\s+|its\s+)?(?:\w+\s+)?(stage|leg|round|heat|game|match|set|episode|lap|qualifying|pole|sprint|"
    r"semi-?finals?|quarter-?finals?|group)\b(?:\s+\w+)?(?:\s+(?:of|in|at|on)\b)?",
    re.I,
)


def won_whole(sentence: str, names: tuple[tuple[str, ...], ...]) -> bool:
    """The sentence says its subject won the event the question names ("won the 2021 Tour de France", "Tour de
    France champion"), not only a part of it."""
    for words in names:
        name = r"\s+(?:\w+\s+)?".join(re.escape(w) for w in words[:2])
        if re.search(
            r"\b(?:won|wins|win|winning|winner of|champion of|claimed|clinched|took)\s+(?:the\s+)?(?:(?:19|20)\d\d\s+)?"
            r"(?:\w+\s+){0,2}?" + name + r"|" + name + r"(?:\s+\w+){0,3}?\s+(?:champion|title|winner|crown)",
            sentence,
            re.I,
        ):
            return True
    return False


NEAR_WORDS = 12


def _positions(sentence: str, words: list[str], pattern: re.Pattern) -> list[tuple[int, int]]:
    """(token index of one of the words, token index of a match of the pattern) pairs in the sentence."""
    tokens = re.findall(r"\S+", sentence)
    at = [i for i, t in enumerate(tokens) if any(w.lower() in t.lower() for w in words)]
    hits = [len(re.findall(r"\S+", sentence[: m.start()])) for m in pattern.finditer(sentence)]
    return [(i, j) for i in at for j in hits]


def win_near(sentence: str, words: list[str]) -> bool:
    """A word of winning within a few words of the name in this sentence: "Djokovic's disqualification ... Osaka,
    the 2018 champion" names Djokovic, but the champion is Osaka. An aside between commas after the name is
    skipped ("Toy Story 4, the long-awaited next chapter in the saga of Woody and Buzz, won ...")."""
    for w in words:
        sentence = re.sub(r"(" + re.escape(w) + r"\S*(?:\s+\d+)?),(?:[^,]{1,100}),", r"\1", sentence, flags=re.I)
    return any(abs(i - j) <= NEAR_WORDS for i, j in _positions(sentence, words, WIN_WORD))


def answer_name(g: Given) -> tuple[list[str], list[str]]:
    """The words of the name the answer gives (``lead_name``), and the cited sentences that hold one of them."""
    words = lead_name(g.answer, g.asked.question)
    return words, [s for s in g.sentences if any(w.lower() in s.lower() for w in words)]


def winner_check(g: Given) -> str | None:
    """A "who won" answer names someone its cited sentences say won (a sentence with the name and a word of winning),
    and not only as the loser."""
    words, named = answer_name(g) if g.asked.winner else ([], [])
    if not words:
        return None
    who = " ".join(words)
    if not any(WIN_WORD.search(s) for s in named):
        return f"the question asks who won; the cited passages do not say {who} won"
    if not any(win_near(s, words) for s in named):
        return f"the question asks who won; no cited sentence says {who} won (its words of winning are about others)"
    part = next((m.group(1) for s in named if (m := PART_WIN.search(s))), None)
    if part and not PART_WIN.search(g.asked.question) and not any(won_whole(s, g.asked.names) for s in named):
        return f"the question asks who won; the cited passages say {who} won a {part.lower()}, a part of it"
    if all(only_loser(w, named) for w in words if any(w.lower() in s.lower() for s in named)):
        return f"the question asks who won; the cited passages name {who} as the loser"
    return None


LOSS_WORD = re.compile(
    r"\b(?:runners?[- ]up|second|silver|finals?|finalists?|lost|loses|losing|lose|defeat(?:s|ed)?|beat(?:s|en)?|fell|"
    r"falls|bowed|went down|eliminated)\b",
    re.I,
)


def runner_up_check(g: Given) -> str | None:
    """A "who was the runner-up" answer names someone its cited sentences say lost or came second (a word of losing
    near the name), and not only as the winner ("France beat Croatia": France won)."""
    words, named = answer_name(g) if g.asked.runner_up else ([], [])
    if not words:
        return None
    who = " ".join(words)
    # near in the passage, across sentence ends: a results table reads "Croatia. Runner-up. 7. Matches played."
    texts = [g.seen.get(p.n, p.text) for p in g.cited]
    if not any(abs(i - j) <= NEAR_WORDS for t in texts for i, j in _positions(t, words, LOSS_WORD)):
        return f"the question asks who lost; no cited passage says {who} lost or came second"
    near = [s for s in named if any(abs(i - j) <= NEAR_WORDS for i, j in _positions(s, words, LOSS_WORD))]
    if near and all(named_as_winner(words[-1], s) for s in near):
        return f"the question asks who lost; the cited passages name {who} as the winner"
    return None


def named_as_winner(name: str, sentence: str) -> bool:
    """The sentence gives the name as the winner ("France beat Croatia", "Croatia lost to France"), not the loser."""
    esc = re.escape(name)
    loser = re.search(esc + LOSER_AFTER, sentence, re.I) or re.search(LOSER_BEFORE + esc + r"\b", sentence, re.I)
    winner = re.search(
        esc + r"\s+(?:\w+\s+){0,2}?(?:won|wins|beat|beats|defeated|defeats|triumphed|lifted)\b", sentence, re.I
    ) or re.search(r"\b(?:lost|loses|losing|fell|falls|bowed)\s+to\s+(?:the\s+)?" + esc + r"\b", sentence, re.I)
    return bool(winner) and not loser


# ---- the things the question names, in the sentence that answers it

CONNECTOR = r"(?:of|de|del|la|le|du|the|and|&|von|van|da)"
NAME_RUN = re.compile(
    r"(?:[A-Z0-9][\w’'.&-]*[\w]|[A-Z])\.?(?:(?:\s+|:\s*)(?:" + CONNECTOR + r"\s+)*(?:[A-Z0-9][\w’'.&-]*[\w]|[A-Z])\.?)*"
)
GENERIC_NAME_WORDS = frozenset(
    "the a an ceremony season series episode part volume edition version game movie film show award awards prize "
    "inc corp ltd co company no ceo cfo coo president chairman director".split()
)


def question_names(question: str) -> list[list[str]]:
    """The names the question gives, each as its distinctive words: "Who is the CEO of Lego in 2021?" →
    [["Lego"]]; "When was The Legend of Zelda: Breath of the Wild released?" → [["Legend", "Zelda", "Breath",
    "Wild"]]. Words that open the question, titles of office and generic words are not names."""
    out = []
    for m in NAME_RUN.finditer(question):
        words = [re.sub(r"['’]s$", "", w.strip(".'’-:")) for w in re.findall(r"[\w’'.&-]+", m.group())]
        if m.start() == 0 or re.match(r"^\W*$", question[: m.start()]):
            while words and (words[0].lower() in stopwords() or words[0].lower() in ("who", "what", "when")):
                words = words[1:]
        dated = any(NOT_NAMES.match(w) for w in words)
        keep = [
            w
            for w in words
            if w
            and (w[0].isupper() or w[0].isdigit())
            and w.lower() not in GENERIC_NAME_WORDS
            and not YEAR.fullmatch(w)
            and not (w[0].isdigit() and not re.search(r"[a-z]", w, re.I))
            and not NOT_NAMES.match(w)  # months and weekdays
            and not (dated and re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", w, re.I))  # "November 16th" is a date
        ]
        if keep:
            out.append(keep)
    return out


def plain(text: str) -> str:
    """Lower case, abbreviation dots out ("U.S." → "us"), dashes as spaces."""
    return re.sub(r"[-–—]", " ", re.sub(r"(?<=\b\w)\.(?=\w\b|\s|$)", "", text)).lower()


ORG_HEAD = re.compile(
    r"^(?:Foundation|Association|Players|Federation|Union|Institute|League|Society|Trust|Council|Committee|Fund|"
    r"Museum|University|College|School|Club|Academy|Records|Studios|Pictures|Entertainment|Bank|Party|Agency|"
    r"Authority|Commission|Conference|Cup|Musical|Open|Masters|Tour|Awards?|Prize|Medal|Trophy|Stakes|Classic|"
    r"Championships?|Series|Games|Olympics|Festival|Show|Expo|"
    # a thing named after an event or a work that is not it: "the 2021 NBA Draft Combine", "the Diablo 4 Expansion"
    r"Combine|Lottery|Qualifiers?|Qualifying|Trials|Draw|Preview|Trailer|Soundtrack|DLC|Expansion|Remaster|Sequel|Spinoff|"
    r"Spin-off|Prequel|Documentary)$"
)


def sibling(words: list[str], text: str, question: str) -> str:
    """ "other:<name>" when the text names another one of the same family instead: "Best Foreign Language Film" for
    "Best Picture", "Pixel 4a" for "Pixel 5a" (the name's first words, then others); else ""."""
    if len(words) < 2:
        return ""
    head = r"\s+".join(re.escape(w) for w in words[:-1])
    q = plain(question)
    for m in re.finditer(r"(?<!\w)" + head + r"\s+((?:[A-Z0-9][\w’'.-]*\s*){1,4})", text):
        first = m.group(1).split()[0].strip(".,;:")
        if plain(first) != plain(words[-1]) and plain(first) not in q.split():
            return "other:" + (text[m.start() : m.end()]).strip(" .,;:")
    return ""


def name_in(words: list[str], text: str, question: str) -> str:
    """ "here" when every word of the name occurs in the text as a whole word and the name is not, there, only part
    of the name of another body ("The LEGO Foundation" for "Lego", "Nintendo of America" for "Nintendo", "NFL
    Players Association" for "NFL"); "other:<the longer name>" when it occurs only so; "" when it is not there."""
    low, q = plain(text), plain(question)
    for w in words:
        if not re.search(r"(?<!\w)" + re.escape(plain(w)) + r"(?:['’]s)?(?!\w)", low):
            return sibling(words, text, question)
    longer = ""
    # where the last word stands in the text as written (a form the text writes otherwise is taken as itself)
    for m in re.finditer(r"(?<!\w)" + re.escape(words[-1]) + r"(?!\w)", text, re.I):
        tail = text[m.end() : m.end() + 60]
        of = re.match(r"\s+of\s+(?:the\s+)?([A-Z][\w’'.-]*)", tail)
        heads = re.match(r"((?::?\s+[A-Z][\w’'.-]*){1,3})", tail)
        other = None
        if of and plain(of.group(1)) not in q:
            other = tail[: of.end()]
        elif heads:
            added = heads.group(1).replace(":", " ").split()
            for word in added:
                word = word.strip(".,;:")
                if word.lower() in ("the", "a", "an"):
                    continue
                if plain(word) in q:
                    break
                if ORG_HEAD.match(word):
                    other = heads.group(1)
                    break
        if other is None:
            return "here"
        longer = longer or (" ".join(words) + other).strip(" .,;:")
    return f"other:{longer}" if longer else "here"


def named_check(g: Given) -> str | None:
    """The sentence that answers speaks of what the question names, not of another body or event whose name
    holds it: "Anne-Birgitte Albrectsen is the CEO of The LEGO Foundation" does not answer "Who is the CEO of
    Lego?", nor "president of the NFL Players Association" "the president of the NFL". A passage that never
    names what the question asks about is no evidence either way (search snippets often do not: "It was released
    on ...")."""
    if not g.asked.kind or not g.evidence:
        return None
    if not g.asked.names:
        return None
    by_n = {p.n: p for p in g.cited}
    for words in map(list, g.asked.names):
        results = []
        for n, sentence in g.evidence:
            p = by_n.get(n)
            text = g.seen.get(n, p.text if p else "")
            title = p.title if p is not None else ""
            found = [name_in(words, w, g.asked.question) for w in (sentence, title) if w]
            verdict = "here" if "here" in found else next((f for f in found if f), "")
            if not verdict:  # not in the sentence: only the passage's own naming of it can tell
                verdict = name_in(words, text, g.asked.question)
            results.append(verdict)
        others = [r[6:] for r in results if r.startswith("other:")]
        if others and "here" not in results:
            return f"the question asks about {' '.join(words)}; the sentence that answers speaks of {others[0]}"
    return role_check(g)


CAPS = r"[A-Z][\w’'.&-]*(?:\s+[A-Z][\w’'.&-]*)*"  # a run of capitalised words
ROLE = (
    r"(?:president|chief executive|ceo|chairman|chairwoman|chair|director|head|leader|coach|manager|founder|owner|"
    r"commissioner|secretary[- ]general|prime minister|governor|mayor)"
)


def role_check(g: Given) -> str | None:
    """Asked for the holder of a role in a body ("Who is the president of FIFA?"), the sentence that answers gives
    the role in that body, not only in another one ("the current and former presidents of CONCACAF, the continental
    confederation under FIFA")."""
    # the role in any case; the body's name capitalised (else "president of the company since 2016" names a body)
    m = re.search(r"\b(?i:(" + ROLE + r")s?\s+of\s+(?:the\s+)?)(" + CAPS + ")", g.asked.question)
    if not m or g.asked.kind != "name":
        return None
    role, body = m.group(1).lower(), m.group(2)
    first = re.escape(body.split()[0])
    held_in_it = rf"\b{re.escape(role)}s?\s+(?:\w+\s+)?(?:of|at|for)\s+(?:the\s+)?{first}"  # "president of FIFA"
    named_first = rf"\b{first}(?:['’]s)?\s+(?:\w+\s+)?{re.escape(role)}\b"  # "FIFA president", "FIFA's president"
    own = re.compile(held_in_it + "|" + named_first, re.I)
    elsewhere = re.compile(r"\b(?i:" + re.escape(role) + r"s?\s+of\s+(?:the\s+)?)(" + CAPS + ")")
    sentences = [t for _, t in g.evidence]
    if any(own.search(t) for t in sentences):
        return None
    for t in sentences:
        for other in elsewhere.finditer(t):
            if not other.group(1).lower().startswith(body.split()[0].lower()):
                gives = f"the {role} of {other.group(1)}"
                return f"the question asks for the {role} of {body}; the sentence that answers gives {gives}"
    return None


CHECKS: tuple[tuple[str, Callable[[Given], str | None]], ...] = (
    ("kind", kind_check),
    ("year", year_check),
    ("superseded", superseded_check),
    ("subject", subject_check),
    ("winner", winner_check),
    ("runner-up", runner_up_check),
    ("named", named_check),
    ("named", role_check),  # the same failing: the sentence speaks of another body
)

# when one of these fails, the cited passages spoke of another body, one of a series, year or date: the second answer
# is made without them
OTHER_ONE = frozenset({"named", "subject", "year", "superseded"})


def check_answer(
    asked: Asked, sentences: list[SentenceCheck], passages: list[Passage], seen: dict[int, str]
) -> AnswerCheck:
    """Run the checks on the answer's supported sentences; the first failure is the verdict."""
    supported = [s for s in sentences if s.supported and not YES_NO.fullmatch(s.claim) and s.check != "conflict"]
    if not asked.checks_anything or not supported:
        return AnswerCheck()
    by_n = {p.n: p for p in passages}
    cited = [by_n[n] for n in dict.fromkeys(n for s in supported for n in s.cited) if n in by_n]
    evidence = list(dict.fromkeys((n, t) for s in supported for n, t in s.evidence.items()))
    given = Given(asked, " ".join(s.claim for s in supported), cited, seen, evidence)
    for name, check in CHECKS:
        reason = check(given)
        if reason:
            return AnswerCheck(name, reason)
    return AnswerCheck()


def could_answer(asked: Asked, passages: list[Passage], seen: dict[int, str]) -> list[Passage]:
    """The passages that hold a value of the asked kind and the question's years: where a second answer may come
    from."""
    out = []
    for p in passages:
        text = seen.get(p.n, p.text)
        published = str(p.metadata.get("published_at", ""))
        if asked.kind and not gives_kind(text, asked):
            continue
        if not all(year_holds(y, text, published) for y in asked.years):
            continue
        if asked.winner and not WIN_WORD.search(text):
            continue
        out.append(p)
    return out


# ---- passages that disagree with the answer


def measures(text: str) -> list[tuple[str, str, str]]:
    """Each number with the measure word right after it: '190 miles' → ('190', 'mile', '190 miles')."""
    out = []
    for m in re.finditer(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(?:-\s*)?([A-Za-z%]+)", text):
        word = m.group(2)
        unit = "percent" if word == "%" else stemmer().stemWord(word.lower())
        if unit in MEASURES:
            out.append((m.group(1).replace(",", ""), unit, m.group(0)))
    return out


def conflict_notes(question: str, sentences: list[SentenceCheck], seen: dict[int, str]) -> list[SentenceCheck]:
    """When a passage the answer does not cite gives another figure of the same measure for the same thing (the
    answer says 190 miles [1]; passage [2] says the ATACMS range is 900 miles), a sentence saying so, citing it:
    the reader sees the passages disagree instead of one figure picked silently."""
    from ..text import content_terms

    asked_terms = content_terms(question)
    notes: list[SentenceCheck] = []
    flagged: set[tuple[int, str]] = set()
    for s in sentences:
        if not s.supported:
            continue
        for number, unit, _ in measures(s.claim):
            for n, text in seen.items():
                if n in s.cited:
                    continue
                for sentence in split_sentences(text):
                    shared = asked_terms & content_terms(sentence)
                    if len(shared) < min(2, len(asked_terms)):
                        continue
                    other = next((m for m in measures(sentence) if m[1] == unit and m[0] != number), None)
                    if other and (n, other[0]) not in flagged:
                        flagged.add((n, other[0]))
                        claim = f"Another passage gives {other[2]} instead, so the passages conflict"
                        notes.append(
                            SentenceCheck(f"{claim} [{n}].", claim, [n], True, "", "conflict", evidence={n: sentence})
                        )
    return notes


# ---- an answer as precise as its evidence


def _dates(text: str) -> list[tuple[re.Match, int, int | None, int | None]]:
    """(match, month, day or None, year or None) for each date the text states ("November 15", "15 November 2020",
    "May 2012")."""
    from ..text.dates import DATE as DATES, MONTHS

    out = []
    for m in DATES.finditer(text):
        g = m.groupdict()
        if g["iso"]:
            continue
        month = g["md_m"] or g["dm_m"] or g["my_m"]
        day = g["md_d"] or g["dm_d"]
        year = g["md_y"] or g["dm_y"] or g["my_y"]
        key = month.lower().rstrip(".")
        if key not in MONTHS:
            continue
        out.append((m, MONTHS[key], int(day) if day else None, int(year) if year else None))
    return out


def complete_dates(sentence: str, evidence: list[str]) -> str:
    """A date the answer gives without its year ("premieres November 15") or its day ("released in May 2012") is
    completed from the one date of its evidence sentences that extends it ("released ... on 15 November 2020" →
    "November 15, 2020"); left as it is when the evidence holds none, or more than one."""
    found = [d for e in evidence for d in _dates(e)]
    out, last = [], 0
    for m, month, day, year in _dates(sentence):
        if day and year or not (day or year):
            continue
        fits = {(month, d, y) for _, mo, d, y in found if mo == month and d and y and (d == day if day else y == year)}
        if len(fits) != 1:
            continue
        _, d, y = next(iter(fits))
        name = (m.group("md_m") or m.group("dm_m") or m.group("my_m")).rstrip(".")
        before = sentence[last : m.start()]
        if not day:  # "released in May 2012" → "released on May 15, 2012"
            before = re.sub(r"\bin(\s+)$", r"on\1", before)
        out.append(before + f"{name} {d}, {y}")
        last = m.end()
    return "".join(out) + sentence[last:] if out else sentence


def precise_dates(asked: Asked, verification: Verification) -> Verification:
    """For a "when" question: each supported sentence's dates completed from its evidence (``complete_dates``), in
    the sentence and in the answer's text."""
    if verification.refused or asked.kind != "date":
        return verification
    answer, sentences = verification.answer, []
    for sc in verification.sentences:
        text = complete_dates(sc.text, list(sc.evidence.values())) if sc.supported else sc.text
        if text != sc.text:
            answer = answer.replace(sc.text, text, 1)
            sc = replace(sc, text=text, claim=complete_dates(sc.claim, list(sc.evidence.values())))
        sentences.append(sc)
    return replace(verification, answer=answer, sentences=sentences)
