"""A transfer's life cycle as a table: which action moves which state where, and which side may take it. Pure."""
from __future__ import annotations

from catalog import permissions

# (state, action) -> the state it leads to; "receive" leads to "received" or "partly_received" by the counts.
TRANSITIONS = {
    ("draft", "edit"): "draft",
    ("draft", "dispatch"): "dispatched",
    ("draft", "cancel"): "cancelled",
    ("dispatched", "receive"): "received",
    ("dispatched", "cancel"): "cancelled",
}
# Who may take each action: the sending library's side or the receiving library's (the coordinator: either).
RULES = {
    "create": (permissions.can_create_transfer, "from"),
    "edit": (permissions.can_create_transfer, "from"),
    "dispatch": (permissions.can_dispatch_transfer, "from"),
    "cancel": (permissions.can_cancel_transfer, "from"),
    "receive": (permissions.can_receive_transfer, "to"),
}


def next_state(state: str, action: str) -> str | None:
    """The state an action leads to from this one, or None when the action is not possible there."""
    return TRANSITIONS.get((state, action))


def may(actor, action: str, from_library: str, to_library: str) -> bool:
    rule, side = RULES[action]
    return rule(actor, from_library if side == "from" else to_library)


def actions_for(actor, state: str, from_library: str, to_library: str) -> list[str]:
    """The actions this actor may take on a transfer in this state (for the page's buttons)."""
    return [action for (current, action) in TRANSITIONS if current == state
            and may(actor, action, from_library, to_library)]
