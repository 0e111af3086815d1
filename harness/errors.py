"""Errors the CLI turns into one `Error: ...` line instead of a traceback."""


class HarnessError(Exception):
    """An expected failure with a message that tells the user what to do.

    `detail` (optional, multi-line) is printed after the one-line message, e.g. log tails.
    """

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


class InputError(HarnessError):
    """Malformed user input: a file, an option, a suite or a graph folder."""


class Neo4jUnavailable(HarnessError):
    """No Neo4j could be started or reached."""


class ModelUnavailable(HarnessError):
    """A model cannot be used: weights, key or server missing."""


class RunAborted(HarnessError):
    """A model back end cannot go on (e.g. its worker keeps crashing): the run stops as failed."""
