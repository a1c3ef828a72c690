"""User-facing errors: one line that says what is wrong and what to do.

Every stage raises these; the CLI and the server turn them into a clean message (never a traceback).
"""


class AssistantError(Exception):
    """A problem the user can fix. ``str(err)`` is the whole message."""


class InputError(AssistantError):
    """A file or record that cannot be ingested."""


class EmptyIndexError(AssistantError):
    """Asked a question with nothing indexed."""


class ModelMismatchError(AssistantError):
    """The index was built with another embedding model."""


class BackendError(AssistantError):
    """A model or store backend is missing, misconfigured or unreachable."""


class NoMatchError(AssistantError):
    """The filters (source, dates) match no indexed chunk."""


class NotFoundError(AssistantError):
    """No document with the id given (the HTTP API answers 404)."""


class UnknownSettingError(AssistantError, TypeError):
    """A keyword that is no setting (``Assistant(lmm=...)``): a TypeError too, as for any unknown keyword argument."""
