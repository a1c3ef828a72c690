"""assistant: grounded, cited answers over news articles, offline by default.

from assistant import Assistant
a = Assistant(data_dir="/tmp/news")
a.ingest(["seeds/"])
print(a.ask("How many North Korean troops joined Russian forces in Kursk?").answer)
"""

__all__ = ["Assistant", "Settings", "AssistantError", "Filters"]
__version__ = "0.1.0"


def __getattr__(name):  # lazy: importing the package (and `assistant --help`) loads no model library
    if name == "Assistant":
        from .api import Assistant

        return Assistant
    if name == "Settings":
        from .settings import Settings

        return Settings
    if name == "AssistantError":
        from .errors import AssistantError

        return AssistantError
    if name == "Filters":
        from .index.retrieve import Filters

        return Filters
    raise AttributeError(name)
