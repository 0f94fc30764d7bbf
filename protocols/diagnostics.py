"""SRU diagnostics: the numbered reasons (info:srw/diagnostic/1/N) an SRU client is given for a refusal.

Numbers from the SRU diagnostics list (http://www.loc.gov/standards/sru/diagnostics/diagnosticsList.html).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

URI = "info:srw/diagnostic/1/{number}"

UNSUPPORTED_OPERATION = 4
UNSUPPORTED_VERSION = 5
UNSUPPORTED_PARAMETER_VALUE = 6
MANDATORY_PARAMETER_MISSING = 7
QUERY_SYNTAX_ERROR = 10
TOO_MANY_CHARACTERS_IN_QUERY = 12
INVALID_PARENTHESES = 13
INVALID_QUOTES = 14
UNSUPPORTED_CONTEXT_SET = 15
UNSUPPORTED_INDEX = 16
UNSUPPORTED_RELATION = 19
UNSUPPORTED_RELATION_MODIFIER = 20
EMPTY_TERM = 27
MASKING_NOT_SUPPORTED = 28
MASKED_WORD_TOO_SHORT = 29
ANCHORING_NOT_SUPPORTED = 31
ADJACENCY_AND_MASKING = 33
INVALID_TERM_FORMAT = 36
UNSUPPORTED_BOOLEAN = 37
TOO_MANY_BOOLEANS = 38
UNSUPPORTED_BOOLEAN_MODIFIER = 46
MASKING_POSITION = 49
FIRST_RECORD_OUT_OF_RANGE = 61
RECORD_DOES_NOT_EXIST = 65
UNKNOWN_SCHEMA = 66
UNSUPPORTED_RECORD_PACKING = 71
XPATH_UNSUPPORTED = 72
SORT_NOT_SUPPORTED = 80
STYLESHEETS_NOT_SUPPORTED = 110

# The <message> a person reads in the client; the number is what the client's software acts on.
MESSAGES = {
    UNSUPPORTED_OPERATION: _l("Thao tác không được hỗ trợ (chỉ có explain và searchRetrieve)."),
    UNSUPPORTED_VERSION: _l("Phiên bản SRU không được hỗ trợ; máy chủ dùng SRU 1.2."),
    UNSUPPORTED_PARAMETER_VALUE: _l("Giá trị tham số không hợp lệ."),
    MANDATORY_PARAMETER_MISSING: _l("Thiếu tham số bắt buộc."),
    QUERY_SYNTAX_ERROR: _l("Câu truy vấn CQL sai cú pháp."),
    TOO_MANY_CHARACTERS_IN_QUERY: _l("Câu truy vấn quá dài."),
    INVALID_PARENTHESES: _l("Dấu ngoặc đơn không cân đối hoặc lồng quá sâu."),
    INVALID_QUOTES: _l("Thiếu dấu ngoặc kép đóng."),
    UNSUPPORTED_CONTEXT_SET: _l("Bộ ngữ cảnh (context set) không được hỗ trợ."),
    UNSUPPORTED_INDEX: _l("Chỉ mục không được hỗ trợ; xem danh sách trong explain."),
    UNSUPPORTED_RELATION: _l("Quan hệ không được hỗ trợ với chỉ mục này."),
    UNSUPPORTED_RELATION_MODIFIER: _l("Bổ ngữ của quan hệ không được hỗ trợ."),
    EMPTY_TERM: _l("Từ tìm kiếm rỗng."),
    MASKING_NOT_SUPPORTED: _l("Ký tự đại diện này không được hỗ trợ; chỉ dùng * ở cuối từ."),
    MASKED_WORD_TOO_SHORT: _l("Cần ít nhất một chữ trước dấu *."),
    ANCHORING_NOT_SUPPORTED: _l("Ký tự neo ^ không được hỗ trợ."),
    ADJACENCY_AND_MASKING: _l("Không dùng được dấu * trong cụm từ."),
    INVALID_TERM_FORMAT: _l("Từ tìm kiếm không đúng dạng cho chỉ mục này."),
    UNSUPPORTED_BOOLEAN: _l("Toán tử logic không được hỗ trợ (chỉ có and, or, not)."),
    TOO_MANY_BOOLEANS: _l("Câu truy vấn có quá nhiều toán tử logic."),
    UNSUPPORTED_BOOLEAN_MODIFIER: _l("Bổ ngữ của toán tử logic không được hỗ trợ."),
    MASKING_POSITION: _l("Dấu * chỉ được đặt ở cuối từ."),
    FIRST_RECORD_OUT_OF_RANGE: _l("Vị trí bắt đầu vượt quá số kết quả."),
    RECORD_DOES_NOT_EXIST: _l("Biểu ghi không còn trong mục lục."),
    UNKNOWN_SCHEMA: _l("Lược đồ biểu ghi không được hỗ trợ; dùng marcxml hoặc dc."),
    UNSUPPORTED_RECORD_PACKING: _l("Cách đóng gói biểu ghi không được hỗ trợ; dùng xml hoặc string."),
    XPATH_UNSUPPORTED: _l("Không hỗ trợ lấy biểu ghi theo XPath."),
    SORT_NOT_SUPPORTED: _l("Không hỗ trợ sắp xếp; kết quả xếp theo mức liên quan."),
    STYLESHEETS_NOT_SUPPORTED: _l("Không hỗ trợ stylesheet."),
}


class Diagnostic(Exception):
    """A request SRU cannot answer, as the protocol numbers it; details name what was wrong (an index, a value)."""

    def __init__(self, number: int, details: str = ""):
        super().__init__(f"{number}: {details}")
        self.number, self.details = number, details

    @property
    def uri(self) -> str:
        return URI.format(number=self.number)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.number])
