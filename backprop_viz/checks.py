"""What the gradient check found, as the trace carries it: each variable's numeric and
backprop gradients side by side with their relative errors (computed by gradcheck.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .jsonio import number

STEP = 1e-3          # h, relative to max(1, |x|): see gradcheck.py
TOLERANCE = 1e-6     # `ok` is max_rel_error ≤ this; an error above it may be excused as a kink
Entry = tuple[int, int]


@dataclass(frozen=True)
class VariableCheck:
    """One variable's check. `method` says the layout of numeric, backprop and rel_error:
    "entries": arrays in the variable's shape; "subset": 1-D, in the order of `entries`;
    "direction": one number each (a ±1 direction v: numeric ∂f/∂v, backprop ⟨∇, v⟩);
    "joint": None (the variable was checked only in the joint direction of `GradientCheck`).
    rel_error is NaN where the entry was skipped, and `skipped` says why."""

    method: str
    total: int                                  # entries in the variable
    entries: tuple[Entry, ...] | None           # subset: the entries checked, row-major
    numeric: np.ndarray | None
    backprop: np.ndarray | None
    rel_error: np.ndarray | None
    skipped: tuple[tuple[Entry | None, str], ...]   # (entry, "kink" | "non-finite")

    @property
    def checked(self) -> int:
        """Comparisons counted: entries (or the direction) compared and not skipped."""
        return 0 if self.rel_error is None else int(np.isfinite(self.rel_error).sum())

    @property
    def max_rel_error(self) -> float | None:
        return worst(self.rel_error)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "checked": self.checked, "total": self.total,
                "max_rel_error": self.max_rel_error,
                "entries": None if self.entries is None else [list(e) for e in self.entries],
                "numeric": _layout(self.method, self.numeric, number),
                "backprop": _layout(self.method, self.backprop, number),
                "rel_error": _layout(self.method, self.rel_error, error),
                "skipped": [{"entry": None if e is None else list(e), "reason": why}
                            for e, why in self.skipped]}


@dataclass(frozen=True)
class GradientCheck:
    """Every variable's check; `joint` holds the one direction over all variables together
    (numeric, backprop, rel_error as 1-element arrays) when the work cap left nothing finer."""

    method: str               # "entries" | "subset" | "direction" | "joint"
    variables: Mapping[str, VariableCheck]
    joint: VariableCheck | None
    passes: int               # forward passes run
    floor: float

    @property
    def checked(self) -> int:
        return sum(v.checked for v in self.variables.values()) + (
            self.joint.checked if self.joint else 0)

    @property
    def total(self) -> int:
        return sum(v.total for v in self.variables.values())

    @property
    def max_rel_error(self) -> float | None:
        errors = [v.max_rel_error for v in (*self.variables.values(), self.joint) if v]
        known = [e for e in errors if e is not None]
        return max(known) if known else None

    @property
    def ok(self) -> bool | None:
        """Max rel. error within TOLERANCE; None when nothing could be compared."""
        most = self.max_rel_error
        return None if most is None else most <= TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        joint = self.joint
        return {"method": self.method, "max_rel_error": self.max_rel_error, "ok": self.ok,
                "tolerance": TOLERANCE, "checked": self.checked, "total": self.total,
                "passes": self.passes, "step": STEP, "floor": self.floor,
                "joint": None if joint is None else {
                    "numeric": number(float(joint.numeric[0])),
                    "backprop": number(float(joint.backprop[0])),
                    "rel_error": error(float(joint.rel_error[0])),
                    "skipped": [why for _, why in joint.skipped]},
                "variables": {name: v.to_dict() for name, v in self.variables.items()}}


def worst(errors: np.ndarray | None) -> float | None:
    if errors is None or not np.isfinite(errors).any():
        return None
    return float(np.nanmax(errors))


def error(v: float) -> float | None:
    """A relative error as JSON holds it: null where the entry was skipped."""
    return v if math.isfinite(v) else None


def _layout(method: str, a: np.ndarray | None, write: Callable[[float], Any]) -> Any:
    """numeric, backprop or rel_error as the method lays it out (see VariableCheck)."""
    if a is None:
        return None
    if method == "direction":
        return write(float(a[0]))
    if method == "subset":
        return [write(v) for v in a.tolist()]
    return [[write(v) for v in row] for row in a.tolist()]
