"""Typed errors of the catalog; each carries a message a librarian understands and an HTTP status."""
from __future__ import annotations

from flask_babel import gettext as _


class CatalogError(Exception):
    code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownLibrary(CatalogError):
    code = 404

    def __init__(self, code: str):
        super().__init__(_("Không có thư viện mã “%(code)s”. Xem danh sách bằng lệnh: flask --app app libraries list",
                           code=code))
        self.library_code = code


class LibraryExists(CatalogError):
    code = 409


class InvalidLibrary(CatalogError):
    pass


class UnreadableFile(CatalogError):
    pass


class UnknownFormat(CatalogError):
    pass


class ImportNotFound(CatalogError):
    code = 404


class NotAllowed(CatalogError):
    """The signed-in user may not do this (the visitor who is not signed in is sent to the sign-in page)."""

    code = 403


class UnknownExportFormat(CatalogError):
    pass


class RecordNotFound(CatalogError):
    code = 404


class RecordDeleted(CatalogError):
    code = 410


class EditionNotFound(CatalogError):
    code = 404


class EditionRetired(CatalogError):
    """Every record of the edition was deleted: the key is known, the edition is no longer held."""

    code = 410


class InvalidEditionDecision(CatalogError):
    """A split or join that makes no sense (the record stands alone already, the same edition twice)."""

    code = 409


class HarvestError(CatalogError):
    """An OAI-PMH provider could not be harvested (unreachable, not OAI-PMH, an OAI error); nothing was stored."""

    code = 502
