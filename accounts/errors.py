"""Typed errors of accounts; the catalog's error handler renders them (they are CatalogErrors)."""
from __future__ import annotations

from datetime import datetime

from catalog.errors import CatalogError


class AccountError(CatalogError):
    pass


class InvalidAccount(AccountError):
    """A username, password, role or library that cannot be used."""


class UserExists(AccountError):
    code = 409


class UnknownUser(AccountError):
    code = 404


class LastCoordinator(AccountError):
    code = 409


class WrongPassword(AccountError):
    pass


class SignInFailed(AccountError):
    code = 401


class TooManyAttempts(AccountError):
    code = 429

    def __init__(self, message: str, retry_at: datetime, retry_after: int):
        super().__init__(message)
        self.retry_at = retry_at
        self.retry_after = retry_after  # seconds, for the Retry-After header


class TokenRejected(AccountError):
    """A bearer token that is unknown or revoked, or whose user is disabled."""

    code = 401


class UnknownToken(AccountError):
    code = 404


class InvalidFilter(AccountError):
    pass
