"""The two types every layer of the op table shares, in a leaf module that imports nothing of
the package: a shape is (rows, columns), and an op's params are a mapping of option values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Shape = tuple[int, int]
Params = Mapping[str, Any]
