"""Fatal source problems: the file as a whole cannot be read (status 422, stable codes).

Messages are for the officials who send the files: Vietnamese first, then English after " / ",
naming the file as they named it (never the server's temporary copy).
"""

from __future__ import annotations

from lienthong.errors import ErrorDetail, ValidationFailed


class SourceError(ValidationFailed):
    """A source that cannot be read at all; data problems in readable rows are findings."""

    code = "unreadable-file"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message, details=[ErrorDetail(where or "file", self.code, message)])


class EmptyFile(SourceError):
    code = "empty-file"


class UnreadableFile(SourceError):
    code = "unreadable-file"


class TruncatedFile(SourceError):
    code = "truncated-file"


class UnsupportedFormat(SourceError):
    code = "unsupported-format"


class InvalidEncoding(SourceError):
    code = "invalid-encoding"


class ImplausibleEncoding(SourceError):
    """The declared encoding reads the bytes, but not as Vietnamese text (a wrong ``encoding=``)."""

    code = "implausible-encoding"


class FileNotFound(SourceError):
    code = "file-not-found"
    status = 404


class SourceUnavailable(SourceError):
    """A database source cannot be reached, or the table or query is not there."""

    code = "source-unavailable"
