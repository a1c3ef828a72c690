"""What a question asks for, read once (``Asked``): the kind of value, its years, the one of a series, the names it
gives, whether it asks who won or who came second."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ...text import stemmer, stopwords, strip_citations
from ...text.dates import MONTH_WORD as MONTH

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
    "mile kilomet kilometr km meter metr feet foot inch yard percent per cent dollar euro pound yen yuan rupe ton "
    "tonn kg kilogram gram litr liter gallon hour minut second day week month year decad centuri acr hectar degre "
    "mph kph mw gw kw kwh watt volt byte gb mb tb".split()
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
    elif (MONEY_VERBS.search(low) or MONEY_NOUNS.search(low)) and not re.search(r"\bby how much\b", low):
        # "by how much did they raise capacity" asks for a change of any measure, not an amount of money
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


NOT_NAMES = re.compile(r"^(?:" + MONTH + r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\.?$", re.I)


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
