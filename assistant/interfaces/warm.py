"""Loading the models before the first request, for the long-running interfaces (`serve`, `mcp`): the store, the
embedder, the retriever, the verifier and the generator are built, and one tiny answer is made (it loads the local
model's weights and evaluates its prompt prefix), so the first real question waits for none of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..errors import AssistantError


def warm_up(assistant) -> None:
    """Build every backend once (the lazy properties are not built concurrently: call it before serving)."""
    from ..types import Passage

    a = assistant
    a.store.count()
    a.embedder.embed(["warm-up"])
    a.retriever, a.verifier, a.generator  # noqa: B018 - building them is the point
    passage = Passage(
        n=1,
        chunk_id="warm-up",
        doc_id="warm-up",
        text="The bridge reopened on Saturday.",
        score=1.0,
        metadata={"title": "Warm-up"},
    )
    a.answer("When did the bridge reopen?", [passage])  # loads the model and its prompt prefix


class Warmup:
    """``warm_up`` in a thread that holds ``lock`` while it runs, so that whatever else takes the lock (a tool call)
    waits for the models instead of loading them beside it. ``say`` is told when it starts and how it ended; a
    failure (a model that is not installed) is only said: the request that needs that model reports it again."""

    def __init__(self, assistant, lock, say: Callable[[str], None]):
        self.assistant, self.lock, self.say = assistant, lock, say
        self.done = threading.Event()
        self.error = ""
        self._holding = threading.Event()

    def start(self) -> Warmup:
        threading.Thread(target=self._run, name="warm-up", daemon=True).start()
        self._holding.wait()  # the lock is taken before anything else can ask for it
        return self

    def _run(self) -> None:
        with self.lock:
            self._holding.set()
            started = time.perf_counter()
            self.say("loading the models…")
            try:
                warm_up(self.assistant)
                self.say(f"models loaded in {time.perf_counter() - started:.1f} s; ready")
            except AssistantError as err:
                self.error = str(err)
                self.say(f"the models could not be loaded: {err}")
            except Exception as err:  # noqa: BLE001 - said in one line; the request that meets it reports it too
                self.error = f"{type(err).__name__}: {err}"
                self.say(f"the models could not be loaded: {self.error}")
            finally:
                self.done.set()
