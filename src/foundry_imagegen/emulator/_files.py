"""A Files API that keeps uploads in memory (for ``file_id`` image inputs and masks)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from email import policy
from email.parser import BytesParser
from typing import Any

from ._errors import ApiError, openai_error
from ._http import BytesReply, JsonReply, Reply, Request, Route

__all__ = ["FileStore", "file_routes", "parse_multipart"]

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Parse ``multipart/form-data`` into ``{field: (filename, bytes)}`` with the standard ``email`` package.

    Example::

        fields = parse_multipart(headers["content-type"], body)
        filename, data = fields["file"]
    """
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        raise openai_error(
            400,
            "The request must be multipart/form-data with a boundary.",
            "invalid_request_error",
            None,
            "invalid_content_type",
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise openai_error(400, "Malformed multipart body.", "invalid_request_error", None, "invalid_content_type")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = (part.get_filename(), data)
    return fields


class FileStore:
    """Uploaded files by id (``assistant-…`` like Azure's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}

    def upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        fields = parse_multipart(content_type, body)
        if "file" not in fields:
            raise openai_error(
                400,
                "Missing required parameter: 'file'.",
                "invalid_request_error",
                "file",
                "missing_required_parameter",
            )
        if "purpose" not in fields:
            raise openai_error(
                400,
                "Missing required parameter: 'purpose'.",
                "invalid_request_error",
                "purpose",
                "missing_required_parameter",
            )
        purpose = fields["purpose"][1].decode("utf-8", "replace").strip()
        if purpose not in PURPOSES:
            quoted = ", ".join(f"'{p}'" for p in PURPOSES)
            raise openai_error(
                400,
                f"Invalid value: '{purpose}'. Supported values are: {quoted}.",
                "invalid_request_error",
                "purpose",
                "invalid_value",
            )
        filename, data = fields["file"]
        file_id = f"assistant-{uuid.uuid4().hex[:24]}"
        meta: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename or "upload",
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._lock:
            self._files[file_id] = (meta, data)
        return meta

    def meta(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            entry = self._files.get(file_id)
        if entry is None:
            raise self.not_found(file_id)
        return entry[0]

    def content(self, file_id: str) -> bytes | None:
        with self._lock:
            entry = self._files.get(file_id)
        return None if entry is None else entry[1]

    def delete(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            if self._files.pop(file_id, None) is None:
                raise self.not_found(file_id)
        return {"id": file_id, "object": "file", "deleted": True}

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [meta for meta, _ in self._files.values()]

    @staticmethod
    def not_found(file_id: str) -> ApiError:
        return openai_error(404, f"No such File object: {file_id}", "invalid_request_error", "id", "not_found")


def file_routes(files: FileStore) -> list[Route]:
    """The Files area's route table entries (``/openai[/v1]/files…``, with or without a project prefix).

    :param files: the store the handlers read and write.
    """

    def upload(req: Request, _m: re.Match[str]) -> Reply:
        return JsonReply(200, files.upload(req.headers.get("content-type", ""), req.body))

    def listing(_req: Request, _m: re.Match[str]) -> Reply:
        items = files.list()
        first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
        return JsonReply(200, {"object": "list", "data": items, "first_id": first, "last_id": last, "has_more": False})

    def content(_req: Request, m: re.Match[str]) -> Reply:
        data = files.content(m.group(1))
        if data is None:
            raise files.not_found(m.group(1))
        return BytesReply(200, data, "application/octet-stream")

    base = r"/openai(?:/v1)?/files"
    return [
        Route.of("POST", base, upload),
        Route.of("GET", base, listing),
        Route.of("GET", rf"{base}/([^/]+)/content", content),
        Route.of("GET", rf"{base}/([^/]+)", lambda _req, m: JsonReply(200, files.meta(m.group(1)))),
        Route.of("DELETE", rf"{base}/([^/]+)", lambda _req, m: JsonReply(200, files.delete(m.group(1)))),
    ]
