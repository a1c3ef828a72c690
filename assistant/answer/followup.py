"""Follow-up questions → standalone questions, before retrieval (rules, no model).

A chat follow-up is often elliptical ("and how many Russian troops?", "what about in Belgorod?") or leans on a
pronoun ("How far can it fly?"). Retrieving with it as it stands, or glued to the previous question, finds the
previous answer again. ``rewrite(question, previous_question, previous_answer)`` returns a question that stands on its
own; a question that already does comes back unchanged. Measured on ``evals/followups.jsonl`` (tests/test_followup.py).

The rules, in order:
1. "and X?", "what/how about X?", "and for/in X?", "same for X?": X replaces its counterpart in the previous question —
   a wh-phrase replaces the span from the same wh-word to X's head noun ("how many Russian troops" → replaces "How
   many North Korean troops"); a prepositional phrase replaces the phrase with the same preposition (or is appended);
   a noun phrase replaces the phrase ending in the same head noun, else a name replaces the last name. An X that is a
   whole question of its own (its head is not in the previous question) is asked as it is.
2. A pronoun (it/its, they/them/their, he/him/his, she/her) is replaced by its referent: he/she → the first person's
   name in the previous question, else in the previous answer; they → the first plural noun phrase or name; it → the
   last name (with its "the") in the previous question.
   A pronoun that has something to stand for in its own question (a name or noun phrase before it: of its own
   clause for a possessive, of an earlier clause otherwise) is the question's own: a question that stands alone is
   never rewritten.
"""

from __future__ import annotations

import re

WH = {"how", "what", "who", "whom", "whose", "which", "when", "where", "why"}
AUX = {
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
}
PREPOSITIONS = {
    "in",
    "on",
    "at",
    "for",
    "from",
    "during",
    "by",
    "since",
    "before",
    "after",
    "of",
    "to",
    "near",
    "against",
    "with",
    "about",
    "into",
    "inside",
    "under",
    "over",
    "between",
}
DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those"}
FUNCTION = (
    WH
    | AUX
    | PREPOSITIONS
    | DETERMINERS
    | {
        "many",
        "much",
        "and",
        "or",
        "but",
        "not",
        "than",
        "as",
        "be",
        "been",
        "being",
        "there",
        "it",
        "they",
        "he",
        "she",
        "far",
        "long",
        "old",
        "big",
        "large",
    }
)
TITLES = {
    "president",
    "president-elect",
    "prime",
    "minister",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "dr",
    "dr.",
    "general",
    "gen.",
    "chancellor",
    "king",
    "queen",
    "pope",
    "senator",
    "governor",
    "ceo",
    "secretary",
}
ELLIPSIS = re.compile(
    r"^(?:(?:and|but|also|so|ok|okay)[,\s]+)?(?:(?:what|how)\s+about|and|same\s+for|"
    r"what\s+of|now)\s+(?P<x>.+)$",
    re.I,
)
PRONOUN = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her)\b", re.I)


def _words(text: str) -> list[str]:
    return text.split()


def _bare(word: str) -> str:
    return re.sub(r"(?:[’']s)?[^\w-]*$", "", word.lower()).lstrip("“\"'(")


def _same_head(a: str, b: str) -> bool:
    a, b = _bare(a), _bare(b)
    return a == b or a.rstrip("s") == b.rstrip("s") and min(len(a), len(b)) > 3


def _is_name(word: str, position: int) -> bool:
    core = re.sub(r"^[^\w]+|[^\w]+$", "", word)
    return bool(core) and core[0].isupper() and (position > 0 or _bare(word) not in FUNCTION)


def _sentence(words: list[str]) -> str:
    text = " ".join(words).strip()
    text = re.sub(r"\s+([?,.;:!])", r"\1", text).rstrip(" ?.!")
    return (text[:1].upper() + text[1:] + "?") if text else ""


def _names(words: list[str]) -> list[tuple[int, int]]:
    """Runs of capitalised words (names), as (start, end) index pairs, end exclusive."""
    runs, i = [], 0
    while i < len(words):
        if _is_name(words[i], i) and not (i == 0 and _bare(words[i]) in FUNCTION):
            j = i + 1
            while j < len(words) and _is_name(words[j], j):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _strip_q(question: str) -> list[str]:
    return _words(question.strip().rstrip("?.! "))


def _person(text: str) -> str:
    """The first person's name: two or more capitalised words, or one after a title (President Biden)."""
    words = _strip_q(text)
    for start, end in _names(words):
        run = words[start:end]
        if end - start >= 2 or (start > 0 and _bare(words[start - 1]) in TITLES):
            # keep a leading title ("President-elect Donald Trump"), drop a possessive
            return re.sub(r"[’']s$|[,.;:]$", "", " ".join(run))
    return ""


def _plural_phrase(words: list[str]) -> str:
    for i, w in enumerate(words):
        b = _bare(w)
        if b.endswith("s") and len(b) > 3 and b not in FUNCTION and not _is_name(w, i) and not b.endswith("ss"):
            start = i
            while start > 0 and _bare(words[start - 1]) not in FUNCTION:
                start -= 1
            return " ".join(words[start : i + 1])
    runs = _names(words)
    return " ".join(words[runs[0][0] : runs[0][1]]) if runs else ""


def _thing(words: list[str]) -> str:
    runs = _names(words)
    if not runs:
        return ""
    start, end = runs[-1]
    phrase = " ".join(words[start:end])
    return f"the {phrase}" if start > 0 and _bare(words[start - 1]) == "the" else phrase


BE = {"is", "are", "was", "were"}


def _subject(words: list[str]) -> str:
    """The noun phrase after the auxiliary of a wh-question: "How often will [the harbour ferry] run", "What is [the
    range of the ATACMS]"; a verb at the end is not part of it."""
    for a, w in enumerate(words[1:], 1):
        if _bare(w) in AUX:
            rest = words[a + 1 :] if _bare(w) in BE else words[a + 1 : -1]
            return " ".join(rest)
    return ""


def _answer_object(words: list[str], answer: str) -> str:
    """For "What did X receive?", the thing received, as the answer names it ("a rare atlas" → "the rare atlas")."""
    if len(words) < 3 or _bare(words[0]) != "what" or _bare(words[1]) not in AUX - BE:
        return ""
    verb = _bare(words[-1])[: max(4, len(_bare(words[-1])) - 2)]
    text = re.sub(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]", "", answer)
    aw = _words(text)
    for i, w in enumerate(aw):
        if _bare(w).startswith(verb) and i + 1 < len(aw):
            obj = []
            for x in aw[i + 1 :]:
                if _bare(x) in PREPOSITIONS - {"of"} or _bare(x) in {"and", "which", "that", "who"}:
                    break
                obj.append(x)
                if re.search(r"[,.;:!?]$", x):
                    break
            phrase = re.sub(r"[,.;:!?]+$", "", " ".join(obj))
            return re.sub(r"^(?:a|an)\s+", "the ", phrase, flags=re.I)
    return ""


def _verb_question(words: list[str]) -> bool:
    aux = next((_bare(w) for w in words[1:] if _bare(w) in AUX), "")
    return bool(aux) and aux not in BE


def _last_phrase(words: list[str]) -> str:
    """The last noun phrase that starts with a determiner, to the end ("... a rare atlas" → "the rare atlas")."""
    for i in range(len(words) - 1, -1, -1):
        if _bare(words[i]) in {"the", "a", "an"} and i + 1 < len(words):
            return " ".join(["the"] + words[i + 1 :])
    return ""


DETERMINERS_OF_NOUNS = {"the", "a", "an", "this", "that", "these", "those", "which", "what", "whose"}
# where a clause begins: a pronoun after one may stand for a name before it ("Did Google say that it would appeal?")
CLAUSE_START = re.compile(
    r"[,;:]|\b(?:that|whether|if|after|before|when|while|because|since|although|and|but|or|so)\b", re.I
)


def _antecedent_before(text: str, possessive: bool) -> bool:
    """Does the question, before a pronoun, give something it can stand for? Then the pronoun is the question's own
    and the question stands alone, whatever was asked before. A possessive may stand for a name or noun phrase of its
    own clause ("How many yards did Mahomes gain on his run?", "Which company ... its platform"); another pronoun only
    for one of an earlier clause
    ("Did Google say that it would appeal?" — but in "Who authorized Ukraine to use it?" "it" is not Ukraine)."""
    if not possessive:
        starts = list(CLAUSE_START.finditer(text))
        if not starts:
            return False
        text = text[: starts[-1].start()]
    words = _words(text)
    return bool(_names(words)) or any(
        _bare(w) in DETERMINERS_OF_NOUNS and i + 1 < len(words) and _bare(words[i + 1]) not in FUNCTION
        for i, w in enumerate(words)
    )


def _replace_pronouns(question: str, previous: str, answer: str) -> str:
    prev = _strip_q(previous)
    subject = _subject(prev)
    referents = {
        "he": _person(previous) or _person(answer),
        "they": subject
        if any(_bare(w).endswith("s") and not _bare(w).endswith("ss") for w in _words(subject))
        else _plural_phrase(prev),
        "it": _answer_object(prev, answer)
        or (subject if _verb_question(prev) else "")
        or _thing(prev)
        or _last_phrase(prev),
    }
    referents["she"] = referents["he"]

    def sub(m: re.Match) -> str:
        word = m.group(1)
        low = word.lower()
        key = {"its": "it", "them": "they", "their": "they", "him": "he", "his": "he", "her": "she"}.get(low, low)
        ref = referents.get(key, "")
        after = re.match(r"\s+([\w’'-]+)", question[m.end() :])
        possessive = low in {"its", "his", "their"} or (
            low == "her" and after is not None and _bare(after.group(1)) not in FUNCTION
        )
        if not ref or _antecedent_before(question[: m.start()], possessive):
            return word
        if low in {"its", "their", "his"}:  # possessive ("her" is taken as the object: it reads either way)
            return ref + ("’" if ref.endswith("s") else "’s")
        return ref

    out = PRONOUN.sub(sub, question.strip())
    return out[:1].upper() + out[1:]


def _substitute(x: str, previous: str) -> str | None:
    """Put the fragment X where its counterpart is in the previous question; None when X is a question of its own."""
    p = _strip_q(previous)
    xs = _strip_q(x)
    if not xs or not p:
        return None
    first = _bare(xs[0])
    head = xs[-1]
    if first in WH:
        starts = [i for i, w in enumerate(p) if _bare(w) == first]
        for i in starts:
            for j in range(len(p) - 1, i, -1):
                if _same_head(p[j], head):
                    return _sentence(p[:i] + xs + p[j + 1 :])
        if len(xs) == 1 and _bare(p[0]) in WH:  # "and why?": the same question with another wh-word
            return _sentence(xs + p[1:])
        return None
    if first in PREPOSITIONS:
        for i in range(len(p) - 1, -1, -1):
            if _bare(p[i]) == first:
                j = i + 1
                while j < len(p) and _bare(p[j]) not in PREPOSITIONS | AUX:
                    j += 1
                return _sentence(p[:i] + xs + p[j:])
        return _sentence(p + xs)
    # a noun phrase: replace the phrase that ends in the same head noun
    for j in range(len(p) - 1, -1, -1):
        if _same_head(p[j], head):
            i = j
            while i > 0 and _bare(p[i - 1]) not in FUNCTION:
                i -= 1
            if _bare(xs[0]) in DETERMINERS and i > 0 and _bare(p[i - 1]) in DETERMINERS:
                i -= 1
            return _sentence(p[:i] + xs + p[j + 1 :])
    if _is_name(xs[-1], 1):  # a name: it takes the place of the last name
        runs = _names(p)
        if runs:
            start, end = runs[-1]
            if _bare(xs[0]) in DETERMINERS and start > 0 and _bare(p[start - 1]) in DETERMINERS:
                start -= 1
            return _sentence(p[:start] + xs + p[end:])
    # "the cost" after "What is the range of the ATACMS?": the attribute asked about changes
    m = re.match(r"^(?:what|who|which)\s+(?:is|are|was|were)\s+(?:the\s+)?(\w+)\s+(of|for)\s+", previous.strip(), re.I)
    if m:
        attr = xs[1:] if _bare(xs[0]) in DETERMINERS else xs
        return _sentence(p[:2] + ["the"] + attr + p[len(_words(m.group(0))) :])
    return _sentence(p + ["—"] + xs)


def asked_for_generation(
    question: str, previous_question: str = "", previous_answer: str = "", standalone: str | None = None
) -> str:
    """What the generator reads (after the earlier turn): for "and how many Russian troops?" the fragment as a question
    of its own, "How many Russian troops?" — the full rewrite carries over words that do not apply ("... joined
    Russian forces in Kursk?") and leads a model back to the first answer; otherwise the standalone rewrite
    (``standalone``, when the caller has it already)."""
    q = " ".join(question.split())
    m = ELLIPSIS.match(q.rstrip("?. ")) if previous_question else None
    if m and _bare(_words(m.group("x"))[0]) in WH:
        x = m.group("x").strip()
        return (
            _replace_pronouns(_sentence(_words(x)), previous_question, previous_answer)
            if PRONOUN.search(x)
            else _sentence(_words(x))
        )
    return standalone if standalone is not None else rewrite(question, previous_question, previous_answer)


def rewrite(question: str, previous_question: str = "", previous_answer: str = "") -> str:
    """The follow-up as a standalone question (unchanged when it already is one, or with no previous question)."""
    q = " ".join(question.split())
    if not previous_question or not q:
        return q
    m = ELLIPSIS.match(q.rstrip("?. "))
    if m:
        x = m.group("x").strip()
        out = _substitute(x, previous_question)
        if out is None:  # "and how many tonnes were picked?": a question of its own
            q = _sentence(_words(x))
        else:
            q = out
    if PRONOUN.search(q):
        q = _replace_pronouns(q, previous_question, previous_answer)
    q = q.strip()
    return q[:1].upper() + q[1:]
