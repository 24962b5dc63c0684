"""The e-mail of a notice as bytes: multipart/mixed with the text and HTML alternatives and
the PDF attached.

Written out directly instead of through ``email.generator``, which folds and writes a PDF
attachment line by line (about 3 ms a notice, as much as setting the PDF). Every part is
base64 (any length of line, any character) and the subject RFC 2047-encoded, so the result
is plain 7-bit ASCII that any SMTP server takes.
"""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.header import Header
from email.message import Message
from email.utils import formatdate
from uuid import uuid4

from django.core.mail import EmailMessage


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _header(name: str, value: str) -> bytes:
    if value.isascii():
        return f"{name}: {value}\r\n".encode()
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode()}\r\n".encode()


def compose(
    *,
    sender: str,
    recipient: str,
    subject: str,
    message_id: str,
    text: str,
    html: str,
    attachment_name: str,
    attachment: bytes,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    mixed, alternative = f"==mixed-{uuid4().hex}", f"==alt-{uuid4().hex}"
    head = b"".join(
        [
            _header("From", sender),
            _header("To", recipient),
            _header("Subject", subject),
            _header("Date", formatdate(localtime=False)),
            _header("Message-ID", message_id),
            *[_header(name, value) for name, value in (extra_headers or {}).items()],
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'.encode(),
        ]
    )
    body = [
        f'--{mixed}\r\nContent-Type: multipart/alternative; boundary="{alternative}"\r\n\r\n'.encode(),
        f'--{alternative}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode(),
        _b64(text.encode()),
        f'--{alternative}\r\nContent-Type: text/html; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode(),
        _b64(html.encode()),
        f"--{alternative}--\r\n".encode(),
    ]
    if attachment:
        body += [
            f'--{mixed}\r\nContent-Type: application/pdf; name="{attachment_name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{attachment_name}"\r\n\r\n'.encode(),
            _b64(attachment),
        ]
    body.append(f"--{mixed}--\r\n".encode())
    return head + b"".join(body)


class RawEmail(EmailMessage):
    """A composed message handed to a non-SMTP e-mail backend (console, file, in-memory)."""

    def __init__(self, raw: bytes, *, sender: str, recipient: str) -> None:
        super().__init__(from_email=sender, to=[recipient])
        self.raw = raw

    def message(self, *, policy: object = None) -> Message:  # type: ignore[override]
        return message_from_bytes(self.raw)
