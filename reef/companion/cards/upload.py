"""The file of an import request (a card, a world book): a `multipart/form-data` upload or the
raw body.

Multipart is read with the standard library's MIME parser (the body is already size-capped by
the API middleware), so no form-parsing dependency is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from reef.errors import InvalidRequest

FILE_FIELD = "file"
UPLOAD_CODE = "invalid_upload"


@dataclass(frozen=True)
class UploadedCard:
    data: bytes
    filename: str | None
    fields: dict[str, str]


def read_card_upload(
    content_type: str | None, body: bytes, filename: str | None, *, what: str = "card"
) -> UploadedCard:
    """The file's bytes and its filename; for multipart, also the other (text) form fields.
    `what` names the file in error messages."""
    if content_type and content_type.lower().startswith("multipart/form-data"):
        return _from_multipart(content_type, body, what)
    if not body:
        raise InvalidRequest(
            f"the request has no {what} file: send it as the body", param="file", code=UPLOAD_CODE
        )
    return UploadedCard(body, filename, {})


def _from_multipart(content_type: str, body: bytes, what: str) -> UploadedCard:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise InvalidRequest("the multipart body could not be read", param="file", code=UPLOAD_CODE)
    found: UploadedCard | None = None
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = _payload(part)
        if name == FILE_FIELD:
            filename = part.get_filename()
            found = UploadedCard(payload, filename, {})
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    if found is None:
        raise InvalidRequest(
            f"the multipart body has no '{FILE_FIELD}' part holding the {what}",
            param="file",
            code=UPLOAD_CODE,
        )
    if not found.data:
        raise InvalidRequest(f"the uploaded {what} file is empty", param="file", code=UPLOAD_CODE)
    return UploadedCard(found.data, found.filename, fields)


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""
