"""Domain exceptions. The library raises them; only the CLI turns them into a message
on stderr and an exit code (`--debug` shows the traceback)."""


class AnalyzerError(Exception):
    """Something the user can act on; the message says what."""

    exit_code = 1


class NoData(AnalyzerError):
    """The dataset or the asked window holds no rows."""
