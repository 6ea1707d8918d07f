"""Error envelopes as the services write them (protocol §7), raised as :class:`ApiError` inside handlers."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "azure_error", "openai_error"]


class ApiError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def openai_error(status: int, message: str, type_: str | None, param: str | None, code: str | None) -> ApiError:
    """OpenAI envelope ``{"error": {"message", "type", "param", "code"}}``."""
    return ApiError(status, {"error": {"message": message, "type": type_, "param": param, "code": code}})


def azure_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    """Azure/Foundry envelope ``{"error": {"code", "message"}}``."""
    return ApiError(status, {"error": {"code": code, "message": message}}, headers)
