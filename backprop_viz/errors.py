"""The one error a user can cause: a message and the 0-based position where it happened."""

from __future__ import annotations


class BackpropError(Exception):
    """A user-facing error; the web layer turns it into HTTP 400 `{"error", "position"}`."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def to_json(self) -> dict:
        return {"error": self.message, "position": self.position}


def show_position(source: str, position: int | None) -> str:
    """The line of `source` holding `position`, with a caret under it (for terminals)."""
    if position is None:
        return ""
    position = max(0, min(position, len(source)))
    start = source.rfind("\n", 0, position) + 1
    end = source.find("\n", position)
    line = source[start:] if end == -1 else source[start:end]
    return f"  {line}\n  {' ' * (position - start)}^"
