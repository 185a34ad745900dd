"""Who is working: the login name recorded in edit logs, publications and checklists."""

from __future__ import annotations

import getpass


def current_user() -> str:
    """The login name, or "" where the system cannot tell (no passwd entry in a container)."""
    try:
        return getpass.getuser()
    except Exception:
        return ""
