"""Receiving an upload: the file streamed to disk and hashed on the way, the mapping beside it.

The request body is either the file itself, or ``multipart/form-data`` with a ``file`` part (its
own file name, if it has one, names the source) and an optional ``mapping`` part (the mapping
document, JSON). Either way the file goes to a temporary folder block by block — never whole in
memory — and each block feeds the input's digest as it passes, so the checksum needs no second
read. A mapping sent as the ``mapping`` query parameter (deprecated) is still taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from lienthong.errors import BadRequest, ValidationFailed
from lienthong.ingest.mapping import InvalidMapping, Mapping
from lienthong.ingest.service import InputDigest

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".parquet"}
FILE, MAPPING = "file", "mapping"


@dataclass(frozen=True)
class Received:
    """An input as received: the file on disk, its name, its mapping and their checksum."""

    path: Path
    filename: str
    mapping: Mapping | None
    checksum: str


@dataclass
class Upload:
    """An input being received."""

    folder: Path
    filename: str
    path: Path | None = None
    mapping: Mapping | None = None
    digest: InputDigest = field(default_factory=InputDigest)

    def open_file(self, filename: str | None) -> BinaryIO:
        if self.path is not None:
            raise ValidationFailed.on(FILE, "unknown-part", "send one file part only")
        self.filename = Path(filename).name if filename else self.filename
        suffix = Path(self.filename).suffix.lower()
        self.path = self.folder / ("upload" + (suffix if suffix in SUFFIXES else ""))
        return self.path.open("wb")

    def take_mapping(self, document: bytes) -> None:
        if self.mapping is not None:
            raise InvalidMapping.on(
                MAPPING, "invalid-mapping", "send the mapping once (a part, not also a parameter)"
            )
        self.mapping = Mapping.parse(document)


async def receive(
    request: Request, folder: Path, *, filename: str, mapping: str | None = None
) -> Received:
    """Stream the request's file into ``folder`` and read its mapping (the ``mapping`` query
    parameter's document, ``mapping``, is the deprecated way)."""
    upload = Upload(folder=folder, filename=Path(filename).name)
    if mapping:
        upload.take_mapping(mapping.encode("utf-8"))
    kind, options = parse_options_header(request.headers.get("content-type"))
    try:
        if kind == b"multipart/form-data":
            await _multipart(request, upload, options.get(b"boundary", b""))
        else:
            with upload.open_file(None) as out:
                async for block in request.stream():
                    upload.digest.update(block)
                    out.write(block)
    except ClientDisconnect as exc:
        # Also what the body limit makes the app see; it answers 413 itself.
        raise BadRequest("the upload was interrupted", code="upload-interrupted") from exc
    if upload.path is None:
        raise ValidationFailed.on(FILE, "missing-file", "a multipart upload needs a 'file' part")
    return Received(
        path=upload.path,
        filename=upload.filename,
        mapping=upload.mapping,
        checksum=upload.digest.result(upload.mapping),
    )


class _Parts:
    """The multipart parser's callbacks: each part's headers, then its bytes to where they go."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.headers: dict[str, str] = {}
        self.field = self.value = ""
        self.out: BinaryIO | None = None
        self.mapping: bytearray | None = None
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def begin(self) -> None:
        self.headers, self.field, self.value = {}, "", ""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end].decode("latin-1")

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end].decode("latin-1")

    def header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field = self.value = ""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE:
            given = options.get(b"filename")
            self.out = self.upload.open_file(given.decode("utf-8", "replace") if given else None)
        elif name == MAPPING:
            self.mapping = bytearray()
        else:
            raise ValidationFailed.on(
                name or "body", "unknown-part", "the parts are 'file' and, optionally, 'mapping'"
            )

    def data(self, data: bytes, start: int, end: int) -> None:
        block = data[start:end]
        if self.out is not None:
            self.upload.digest.update(block)
            self.out.write(block)
        elif self.mapping is not None:
            self.mapping += block

    def part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        if self.mapping is not None:
            self.upload.take_mapping(bytes(self.mapping))
            self.mapping = None

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


async def _multipart(request: Request, upload: Upload, boundary: bytes) -> None:
    if not boundary:
        raise ValidationFailed.on(
            "body", "malformed-multipart", "the multipart body has no boundary"
        )
    parts = _Parts(upload)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    try:
        async for block in request.stream():
            parser.write(block)
        parser.finalize()
    except MultipartParseError as exc:
        raise ValidationFailed.on(
            "body", "malformed-multipart", f"cannot read the parts: {exc}"
        ) from exc
    finally:
        parts.close()
    if not parts.ended:
        raise BadRequest("the upload was interrupted", code="upload-interrupted")
