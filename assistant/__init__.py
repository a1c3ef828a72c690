"""assistant: grounded, cited answers over news articles, offline by default.

from assistant import Assistant
a = Assistant(data_dir="/tmp/news")
a.ingest(["seeds/"])
print(a.ask("How many North Korean troops joined Russian forces in Kursk?").answer)

The public names below are imported on first use (``import assistant``, and so ``assistant --help``, loads no model
library); type checkers see them through the TYPE_CHECKING imports, and the package ships ``py.typed``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import Assistant
    from .index.writer import IngestReport
    from .errors import AssistantError
    from .index.filters import Filters
    from .settings import Settings
    from .types import Answer, Citation, Passage

__all__ = ["Answer", "Assistant", "AssistantError", "Citation", "Filters", "IngestReport", "Passage", "Settings"]
__version__ = "0.1.0"

# public name → the module that defines it (relative to this package)
_LAZY = {
    "Assistant": ".api",
    "IngestReport": ".index.writer",
    "Answer": ".types",
    "Citation": ".types",
    "Passage": ".types",
    "Filters": ".index.filters",
    "Settings": ".settings",
    "AssistantError": ".errors",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # found once
        return value
    raise AttributeError(f"module 'assistant' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
