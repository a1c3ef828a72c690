"""The checks on the name an answer gives: who won, who came second, and whether the sentence that answers speaks of
what the question names."""

from __future__ import annotations

import re
from .evidence import Given, lead_name, plain

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
