"""Who may do what: one function per action, used by pages, the API and every package alike.

An actor is anything with `.role` and `.library_code` (an accounts user is one); None, an anonymous
visitor and a disabled account may do nothing here. Reading and searching the catalog needs no actor.
Library codes are compared without regard to case or surrounding spaces.
"""
from __future__ import annotations

LIBRARIAN = "librarian"
COORDINATOR = "coordinator"
ROLES = (LIBRARIAN, COORDINATOR)


def role_of(actor) -> str | None:
    """The actor's role, or None for anonymous visitors and disabled accounts."""
    if actor is None or getattr(actor, "disabled", False):
        return None
    role = getattr(actor, "role", None)
    return role if role in ROLES else None


def own_library(actor) -> str | None:
    """The one library a librarian acts for; None for a coordinator, who acts for any, and for visitors."""
    return actor.library_code if role_of(actor) == LIBRARIAN else None


def acts_for(actor, library_code: str | None) -> bool:
    """Whether the actor may act for this library: the coordinator for any, a librarian for their own."""
    role = role_of(actor)
    if role == COORDINATOR:
        return True
    return role == LIBRARIAN and bool(library_code) and _same(own_library(actor), library_code)


def can_import(actor, library_code: str | None) -> bool:
    """Import records into library_code; None (owner read from 003/852$a) is for the coordinator only."""
    return acts_for(actor, library_code) if library_code else role_of(actor) == COORDINATOR


def can_manage_users(actor) -> bool:
    return role_of(actor) == COORDINATOR


def can_manage_libraries(actor) -> bool:
    return role_of(actor) == COORDINATOR


def can_view_audit(actor, library_code: str | None) -> bool:
    """See the audit log of library_code; None means every library's, and events tied to none."""
    return acts_for(actor, library_code) if library_code else role_of(actor) == COORDINATOR


def can_decide_edition(actor, library_codes) -> bool:
    """Split or join union entries: the coordinator, or a librarian whose library has a record in them."""
    return any(acts_for(actor, code) for code in library_codes)


def can_join_editions(actor, library_codes, other_library_codes) -> bool:
    """Join two union entries: the coordinator, or a librarian whose library has a record in both (a join
    hides one entry in the other, so a library may not fold another's book into its own)."""
    return role_of(actor) == COORDINATOR or (can_decide_edition(actor, library_codes)
                                             and can_decide_edition(actor, other_library_codes))


def can_create_transfer(actor, from_library: str) -> bool:
    return acts_for(actor, from_library)


def can_dispatch_transfer(actor, from_library: str) -> bool:
    return acts_for(actor, from_library)


def can_cancel_transfer(actor, from_library: str) -> bool:
    return acts_for(actor, from_library)


def can_receive_transfer(actor, to_library: str) -> bool:
    """Confirm receipt of a transfer: only the library it is addressed to (or the coordinator)."""
    return acts_for(actor, to_library)


def _same(code: str | None, other: str | None) -> bool:
    return code is not None and other is not None and code.strip().upper() == other.strip().upper()
