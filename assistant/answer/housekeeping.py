"""Requests that are not questions about the articles: a chat UI's own tasks (a title, tags, follow-up suggestions or
search queries for the conversation) and small talk (a greeting, thanks, goodbye, "what can you do?"). Each gets a
short reply without retrieval or generation, and is not an answer (so never a refusal).

Two classifiers, neither a list of words to match:
- ``ui_task``: the shape of a chat UI's task template. A request about the conversation itself (it quotes it, in a
  ``<chat_history>`` block or as ``USER:``/``ASSISTANT:`` lines, or speaks of "this chat") that asks for an
  artefact (a ``### Task:`` header, an imperative first word, a ``JSON format: {...}`` output spec). The reply takes
  the shape the template asks for: its JSON key with a value of its example's type (the title and tags made from the
  conversation's first question; no follow-ups or search queries, since answers come only from the articles).
- ``small_talk``: a short message (at most ``MAX_WORDS`` words) nearest to one of a few hand-written examples of each
  kind of small talk, by the embedder's cosine (at least ``FLOOR``), and nearer to it than to any indexed passage
  (``best_passage``, a retrieval probe): "thanks" is small talk, "Thanks to whom did the ferry reopen?" is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_WORDS = 8
FLOOR = 0.6
# hand-written examples of each kind of small talk (what the classifier compares a short message with)
EXAMPLES: dict[str, tuple[str, ...]] = {
    "greeting": ("hi", "hello there", "hey", "good morning", "hi, how are you?", "greetings"),
    "thanks": (
        "thanks",
        "thank you very much",
        "great, thanks!",
        "cheers, that was helpful",
        "much appreciated",
        "ok thanks",
    ),
    "goodbye": ("bye", "goodbye", "see you later", "that is all for now, bye"),
    "about": ("who are you?", "what can you do?", "help", "how do I use this?", "what are you?"),
    "ack": ("ok", "okay", "got it", "cool", "nice", "I see"),
}
TRANSCRIPT = re.compile(r"<chat_history>|^\s*(?:USER|ASSISTANT|User|Assistant)\s*:", re.M)
THIS_CHAT = re.compile(
    r"\b(?:this|our|the above|the current|the whole)\s+(?:chat|conversation|discussion|dialog(?:ue)?)\b|"
    r"\bthe (?:chat history|conversation (?:so far|above)|chat so far)\b",
    re.I,
)
ASKS_FOR = re.compile(
    r"###\s*Task\s*:|^\W*(?:please\s+)?(?:generate|create|suggest|write|produce|give|provide|summari[sz]e|analy[sz]e)\b",
    re.I | re.M,
)
JSON_SPEC = re.compile(r"\{\s*\"(\w+)\"\s*:\s*(\[|\")")
ARTEFACT = re.compile(r"\b(title|tags?|follow[- ]?ups?|quer(?:y|ies)|summary|emoji)\b", re.I)


@dataclass
class Reply:
    kind: str  # title, tags, follow_ups, queries, ... for a UI task; greeting, thanks, ... for small talk
    text: str


def first_question(request: str, history: Sequence[tuple[str, str]] = ()) -> str:
    """The conversation's first question: from the quoted transcript, else the earlier turns."""
    quoted = re.search(r"^\s*(?:USER|User)\s*:\s*(.+)$", request, re.M)
    if quoted:
        return quoted.group(1).strip()
    return history[0][0] if history else ""


def title_of(question: str) -> str:
    """A short title from a question: its first five content words ("North Korean troops joined Russian")."""
    from ..text import stopwords

    words = [w for w in re.findall(r"[\w’'-]+", question) if w.lower() not in stopwords()]
    return " ".join(w[:1].upper() + w[1:] for w in words[:5]) or "News questions"


def tags_of(question: str) -> list[str]:
    from ..text import entities_in

    return ["News"] + list(dict.fromkeys(entities_in(question)))[:3]


def ui_task(request: str, history: Sequence[tuple[str, str]] = ()) -> Reply | None:
    """A chat UI's task about the conversation (a title, tags, follow-ups, search queries), with its reply in the
    shape the template asks for; None for anything else."""
    about_chat = TRANSCRIPT.search(request) or THIS_CHAT.search(request)
    if not about_chat or not ASKS_FOR.search(request):
        return None
    question = first_question(request, history)
    spec = JSON_SPEC.search(request)
    if spec:
        key, example = spec.group(1), spec.group(2)
        value: object
        if key == "title":
            value = title_of(question)
        elif key == "tags":
            value = tags_of(question)
        else:  # follow-up questions, search queries, a completion: none, answers come from the articles only
            value = [] if example == "[" else ""
        return Reply(key, json.dumps({key: value}, ensure_ascii=False))
    artefact = ARTEFACT.search(request)
    kind = artefact.group(1).lower() if artefact else "task"
    if kind == "title":
        return Reply("title", title_of(question))
    if kind.startswith("tag"):
        return Reply("tags", ", ".join(tags_of(question)))
    return Reply(kind, "")


class SmallTalk:
    """The small-talk classifier over an embedder (``embed(texts) -> unit vectors``); the examples are embedded on
    first use."""

    def __init__(self, embed: Callable[[list[str]], list[list[float]]]):
        self.embed = embed
        self._examples: list[tuple[str, list[float]]] | None = None

    def kind(self, message: str, best_passage: Callable[[list[float]], float] | None = None) -> tuple[str, float]:
        """(the kind of small talk, its cosine), or ("", cosine) when the message is not small talk."""
        if len(re.findall(r"\w+", message)) > MAX_WORDS or not message.strip():
            return "", 0.0
        if self._examples is None:
            texts = [(kind, t) for kind, examples in EXAMPLES.items() for t in examples]
            vectors = self.embed([t for _, t in texts])
            self._examples = [(kind, v) for (kind, _), v in zip(texts, vectors)]
        vector = self.embed([message.strip()])[0]
        kind, cosine = max(((k, sum(a * b for a, b in zip(vector, v))) for k, v in self._examples), key=lambda x: x[1])
        if cosine < FLOOR:
            return "", cosine
        if best_passage is not None and best_passage(vector) >= cosine:
            return "", cosine  # nearer to an article than to small talk: a question
        return kind, cosine


def small_talk_reply(kind: str, documents: int, sources: Sequence[str] = ()) -> str:
    """A short reply to small talk, saying what can be asked."""
    what = f"the {documents} indexed news article{'s' if documents != 1 else ''}" if documents else "news articles"
    if kind == "greeting":
        return f"Hello! Ask me a question about {what}; every answer cites its passages and each citation is checked."
    if kind == "thanks":
        return "You're welcome. Ask another question about the articles whenever you like."
    if kind == "goodbye":
        return "Goodbye."
    if kind == "about":
        named = f" (sources include {', '.join(list(sources)[:3])})" if sources else ""
        return (
            f"I answer questions from {what}{named}, citing passages as [n] and checking every citation against them; "
            "when the articles do not hold an answer I say so. Nothing is indexed yet: add articles with "
            "`assistant ingest`."
            if not documents
            else f"I answer questions from {what}{named}, citing passages as [n] and checking every citation against "
            "them; when the articles do not hold an answer I say so."
        )
    return "Ask a question about the articles when you are ready."


# ---- a system message: what of it the answer honours


GROUNDING = re.compile(
    r"\b(?:own|general|prior|outside|world|background) knowledge\b|\bcitations?\b|\bcite\b|\bsources?\b|"
    r"\bpassages?\b|\bcontext\b|\binvent\b|\bmake (?:things |it )?up\b|\bguess\b|\bspeculat\w*\b|\bhallucinat\w*\b|"
    r"\bbrows\w*\b|\binternet\b|\bweb\b|\brefus\w*\b|\binsufficient\b|\bdo not say\b|\bnever say\b|\bdon't say\b|"
    r"\balways answer\b|\bignore\b|\bdisregard\b|\boverride\b|\binstructions?\b|\brules?\b|\bverif\w*\b",
    re.I,
)
MAX_PREFERENCE_CHARS = 300


def preference(system: str) -> str:
    """The part of a system message the answer may follow: its sentences about form (language, length, tone,
    format). A sentence that speaks of knowledge, sources, citations, passages, refusing, instructions or rules is
    dropped, whatever it says: the grounding rules are not the system message's to change."""
    from ..text import split_sentences

    kept = [s for s in split_sentences(" ".join(system.split())) if not GROUNDING.search(s)]
    text = " ".join(kept)
    return text if len(text) <= MAX_PREFERENCE_CHARS else text[:MAX_PREFERENCE_CHARS].rsplit(" ", 1)[0]
