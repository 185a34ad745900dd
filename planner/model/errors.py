"""User-facing errors: the CLI prints their message as one line and exits 1, the GUI shows it.

Anything else that escapes is a bug and keeps its traceback.
"""


class PlannerError(Exception):
    """An error the user can act on; ``str(err)`` is a complete, one-line explanation."""


class ProjectFileError(PlannerError):
    """The project file is missing, not a project, or newer than this program."""


class ImportRefused(PlannerError):
    """An import was refused as a whole; nothing was written to the project."""
