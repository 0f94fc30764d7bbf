"""Who may do what in the catalog: one function per action, used by pages and API alike."""
from __future__ import annotations


def can_import(user, library_code: str | None) -> bool:
    """Until sign-in lands every visitor may import; the import page already asks this function."""
    return True
