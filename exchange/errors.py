"""Typed errors of the exchange tracker; each carries a message a librarian understands and an HTTP status."""
from __future__ import annotations

from catalog.errors import CatalogError


class TransferNotFound(CatalogError):
    code = 404


class InvalidTransfer(CatalogError):
    """What was asked cannot make a transfer: unknown library, no lines, a bad count."""

    code = 400


class TransferConflict(CatalogError):
    """The transfer or a copy was changed meanwhile (by another librarian, or is on another open transfer)."""

    code = 409
