"""Typed errors of backup and restore; each carries a message the person running the command understands."""
from __future__ import annotations

from flask_babel import gettext as _



def _nothing_changed() -> str:
    return _("Không có gì thay đổi trong cơ sở dữ liệu.")


class OperationsError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NoSchema(OperationsError):
    def __init__(self):
        super().__init__(_("Cơ sở dữ liệu chưa có lược đồ (chưa chạy “flask --app app init”): không có gì để sao lưu."))


class UnsupportedColumn(OperationsError):
    def __init__(self, table: str, column: str, type_name: str):
        super().__init__(_("Cột %(table)s.%(column)s có kiểu %(type)s mà bản sao lưu chưa hỗ trợ.",
                           table=table, column=column, type=type_name))


class NotABackup(OperationsError):
    def __init__(self, file: str, reason: str):
        super().__init__(_("Tệp “%(file)s” không phải bản sao lưu của Mục lục liên hợp (%(reason)s). %(unchanged)s",
                           file=file, reason=reason, unchanged=_nothing_changed()))


class BackupDamaged(OperationsError):
    """The file ends early or a line cannot be read: everything written so far is rolled back."""

    def __init__(self, line: int, reason: str):
        super().__init__(_("Tệp sao lưu hỏng hoặc bị cắt cụt ở dòng %(line)s: %(reason)s. %(unchanged)s",
                           line=line, reason=reason, unchanged=_nothing_changed()))


class BackupTooNew(OperationsError):
    def __init__(self, revision: str, head: str):
        super().__init__(_("Bản sao lưu có lược đồ phiên bản %(revision)s mà chương trình này không biết (phiên bản "
                           "mới nhất ở đây: %(head)s): hãy cập nhật ứng dụng rồi phục hồi lại. %(unchanged)s",
                           revision=revision, head=head, unchanged=_nothing_changed()))


class SchemaMismatch(OperationsError):
    def __init__(self, revision: str, difference: str):
        super().__init__(_("Bản sao lưu không khớp lược đồ phiên bản %(revision)s: %(difference)s. %(unchanged)s",
                           revision=revision, difference=difference, unchanged=_nothing_changed()))


class DatabaseNotEmpty(OperationsError):
    def __init__(self, tables: list[str]):
        super().__init__(_("Cơ sở dữ liệu không trống (có dữ liệu trong các bảng: %(tables)s). Chỉ phục hồi vào cơ sở "
                           "dữ liệu trống; thêm --replace để xóa toàn bộ dữ liệu hiện có và thay bằng bản sao lưu. "
                           "%(unchanged)s", tables=", ".join(tables), unchanged=_nothing_changed()))


class RestoreRefused(OperationsError):
    """The database refused a row of the backup (a constraint, a value of the wrong type)."""

    def __init__(self, table: str, error: str):
        super().__init__(_("Cơ sở dữ liệu từ chối dữ liệu của bảng %(table)s: %(error)s. %(unchanged)s",
                           table=table, error=error, unchanged=_nothing_changed()))


class UnknownDatabaseRevision(OperationsError):
    def __init__(self, revision: str):
        super().__init__(_("Cơ sở dữ liệu có lược đồ phiên bản %(revision)s mà chương trình này không biết (do một "
                           "phiên bản mới hơn của ứng dụng tạo ra). %(unchanged)s",
                           revision=revision, unchanged=_nothing_changed()))
