"""The one error a user can cause: a stable code, its parameters, the English message made
from the code (i18n/en.json), and the 0-based position where it happened."""

from __future__ import annotations

from typing import Any

from . import i18n


def msg(code: str, **params: Any) -> dict[str, Any]:
    """A message as a parameter of another (a hint, a detail): said in the outer one's
    language, carried in JSON as `{"code", "params"}`."""
    return {"code": code, "params": params}


class BackpropError(Exception):
    """A user-facing error; the web layer turns it into HTTP 400
    `{"error", "code", "params", "position"}`."""

    def __init__(self, code: str, position: int | None = None, **params: Any) -> None:
        self.code = code
        self.params = params
        self.position = position
        self.message = i18n.say(code, "en", **params)
        super().__init__(self.message)

    def said(self, lang: str) -> str:
        return i18n.say(self.code, lang, **self.params)

    def to_json(self) -> dict:
        return {"error": self.message, "code": self.code, "params": self.params,
                "position": self.position}


class HttpError(BackpropError):
    """A refusal the web layer makes with a status of its own (404, 413, 415, …)."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code, None, **params)
        self.status = status


class Said(str):
    """A message that is also its English text (a warning): code and params ride along."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Said:
        said = super().__new__(cls, i18n.say(code, "en", **params))
        said.code, said.params = code, params
        return said

    def __reduce__(self) -> tuple:   # pickled and copied by code, not by its English text
        return _said, (self.code, self.params)

    def to_json(self) -> dict:
        return {"code": self.code, "params": self.params, "text": str(self)}


def _said(code: str, params: dict[str, Any]) -> Said:
    return Said(code, **params)


def coded(warnings: Any) -> list[dict]:
    """`warnings` as `{code, params, text}` each, for the answer's `warning_codes`. The engine's
    are Said; a plain string (a Trace built by hand) is `warning.text`, said as it is."""
    return [(w if isinstance(w, Said) else Said("warning.text", text=w)).to_json()
            for w in warnings]


def show_position(source: str, position: int | None) -> str:
    """The line of `source` holding `position`, with a caret under it (for terminals)."""
    if position is None:
        return ""
    position = max(0, min(position, len(source)))
    start = source.rfind("\n", 0, position) + 1
    end = source.find("\n", position)
    line = source[start:] if end == -1 else source[start:end]
    return f"  {line}\n  {' ' * (position - start)}^"
