"""Answer matching: does an answer hold a gold answer? Text normalised (accents folded, Unicode punctuation as its
ASCII kin, thousands groups joined), gold strings matched as contiguous words (RGB's rule), verdict golds (yes/no,
true/false, agree/disagree, consistent/inconsistent) by the answer's verdict; token F1 (SQuAD)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter


APOSTROPHE_LETTERS = "\u02b9\u02bb\u02bc\u02bd\u02be\u02bf"  # modifier letters written as apostrophes ("Okaforʼs")


def _plain_punctuation(char: str) -> str:
    """One non-ASCII character after NFKD: punctuation, symbols and separators (’ ‘ ” – — … € U+2044) become a space,
    as their ASCII kin do, so "Okafor’s" splits like "Okafor's"; an invisible format character (soft hyphen, zero
    width joiner) goes; letters, digits and accents are kept for the ASCII fold."""
    if char in APOSTROPHE_LETTERS:
        return " "
    kind = unicodedata.category(char)
    if kind == "Cf":
        return ""
    return " " if kind[0] in "PSZC" else char


def normalize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    if not text.isascii():
        text = "".join(c if c.isascii() else _plain_punctuation(c) for c in text)
    text = text.encode("ascii", "ignore").decode().lower()
    # 10,000 / 10 000 / 1,000,000 → one number; a longer group is not a thousands group ("in 2021 100 people")
    text = re.sub(r"\b\d{1,3}(?:[,\s]\d{3})+\b", lambda m: re.sub(r"[,\s]", "", m.group()), text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.split()


def contains(answer: str, gold: str) -> bool:
    """The gold string's normalised tokens occur, in order and contiguous, in the answer's ('no' is not in 'not')."""
    g, a = normalize(gold), normalize(answer)
    if not g:
        return False
    return any(a[i : i + len(g)] == g for i in range(len(a) - len(g) + 1))


# a gold that is a verdict is judged by the answer's verdict, never by the word occurring somewhere in it ("Yes. ...
# no sign of it" does not answer "no"): gold word → (its family, its value); the family's words in an answer → value
VERDICT_GOLDS = {
    **{w: ("yes/no", "yes") for w in ("yes", "true", "agree", "agrees", "correct")},
    **{w: ("yes/no", "no") for w in ("no", "false", "disagree", "disagrees", "incorrect")},
    "consistent": ("consistent", "consistent"),
    "inconsistent": ("consistent", "inconsistent"),
}
VERDICT_WORDS = {
    "yes/no": {"yes": "yes", "no": "no", "true": "yes", "false": "no"},
    "consistent": {"consistent": "consistent", "inconsistent": "inconsistent"},
}


def gold_verdict(gold: str) -> tuple[str, str] | None:
    """(family, value) when the gold answer is a verdict ("No", "True", "agree", "Consistent"), else None."""
    tokens = normalize(gold)
    return VERDICT_GOLDS.get(tokens[0]) if len(tokens) == 1 else None


def answer_verdict(answer: str, family: str) -> str | None:
    """The answer's verdict: its first word of the family ("Yes. ... no sign of it" → "yes"); "not true" is "no"."""
    words = VERDICT_WORDS[family]
    tokens = normalize(answer)
    for i, token in enumerate(tokens):
        if token in words:
            value = words[token]
            if token in ("true", "false") and i and tokens[i - 1] == "not":
                value = "no" if value == "yes" else "yes"
            return value
    return None


def answer_correct(answer: str, golds: list[str]) -> bool:
    """A gold answer occurs in the answer (``contains``); a verdict gold (yes/no, true/false, agree/disagree,
    consistent/inconsistent) is matched by the answer's first word of that kind, so a "Yes." answer is wrong for gold
    "no" whatever follows it."""
    for gold in golds:
        verdict = gold_verdict(gold)
        if verdict is not None:
            if answer_verdict(answer, verdict[0]) == verdict[1]:
                return True
        elif contains(answer, gold):
            return True
    return False


def is_verdict(golds: list[str]) -> bool:
    """Are all the gold answers verdicts (no passage can hold one: it is decided, not quoted)?"""
    return bool(golds) and all(gold_verdict(g) is not None for g in golds)


def token_f1(answer: str, golds: list[str]) -> float:
    best = 0.0
    a = normalize(answer)
    for gold in golds:
        g = normalize(gold)
        common = sum((Counter(a) & Counter(g)).values())
        if common:
            p, r = common / len(a), common / len(g)
            best = max(best, 2 * p * r / (p + r))
    return best
