"""Data sets to train on: CS231n's spiral, XOR, two moons and linear blobs, drawn by numpy from a
seed, or a small CSV the user uploads; features standardised on request, labels one-hot.

A request's `dataset` is `{"name": "spiral", "classes": 3, "points_per_class": 100, "seed": 0}`
or `{"csv": "x1,x2,label\\n…", "label": "label"}`, either with `"standardise": true`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import BackpropError, msg
from .limits import MAX_DATASET_CLASSES, MAX_DATASET_FEATURES, MAX_DATASET_ROWS

CSV_ERRORS_SHOWN = 5   # a CSV with more bad rows says how many more


@dataclass(frozen=True)
class Dataset:
    """N samples as rows: `features` N×D, `labels` the class of each row, 0 … classes − 1."""

    name: str
    features: np.ndarray
    labels: np.ndarray
    classes: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.labels)

    def one_hot(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The labels of `rows` as one-hot rows: Y[i, c] = 1 where sample i is of class c."""
        labels = self.labels[rows]
        out = np.zeros((len(labels), self.classes))
        out[np.arange(len(labels)), labels] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        """The points the page draws, coloured by class."""
        return {"name": self.name, "features": np.ascontiguousarray(self.features),
                "labels": self.labels.tolist(), "classes": self.classes,
                "feature_names": list(self.feature_names),
                "class_names": list(self.class_names)}


# ---------------------------------------------------------------- built in

def spiral(rng: np.random.Generator, classes: int, points: int, noise: float) -> np.ndarray:
    """CS231n's spiral: class j's points at radius r ∈ [0, 1], angle 4j … 4(j + 1) plus noise."""
    r = np.tile(np.linspace(0.0, 1.0, points), classes)
    start = np.repeat(np.arange(classes) * 4.0, points)
    t = start + np.tile(np.linspace(0.0, 4.0, points), classes) \
        + rng.standard_normal(points * classes) * noise
    return np.column_stack([r * np.sin(t), r * np.cos(t)])


def xor(rng: np.random.Generator, classes: int, points: int, noise: float) -> np.ndarray:
    """Clusters at (±1, ±1): class 0 at (1, 1) and (−1, −1), class 1 where the signs differ."""
    corners = np.array([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0], [-1.0, 1.0]]])
    centres = corners[:, np.arange(points) % 2].reshape(-1, 2)
    return centres + rng.standard_normal((2 * points, 2)) * noise


def moons(rng: np.random.Generator, classes: int, points: int, noise: float) -> np.ndarray:
    """Two interleaved half circles, as scikit-learn's make_moons draws them."""
    t = np.linspace(0.0, math.pi, points)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    return np.vstack([upper, lower]) + rng.standard_normal((2 * points, 2)) * noise


def blobs(rng: np.random.Generator, classes: int, points: int, noise: float) -> np.ndarray:
    """Gaussian blobs with centres evenly on a circle of radius 3: linearly separable."""
    angles = 2 * math.pi * np.arange(classes) / classes
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    return np.repeat(centres, points, axis=0) + rng.standard_normal((classes * points, 2)) * noise


@dataclass(frozen=True)
class Generator:
    draw: Callable[[np.random.Generator, int, int, float], np.ndarray]   # rows by class
    noise: float               # the default noise
    classes: int | None        # fixed (XOR and the moons have two), or chosen (default 3)


BUILT_IN: dict[str, Generator] = {
    "spiral": Generator(spiral, 0.2, None),
    "xor": Generator(xor, 0.3, 2),
    "moons": Generator(moons, 0.1, 2),
    "blobs": Generator(blobs, 1.0, None),
}
NAMED_FIELDS = ("name", "classes", "points_per_class", "noise", "seed", "standardise")
CSV_FIELDS = ("csv", "label", "standardise")


def generate(name: str, classes: int = 3, points_per_class: int = 100, noise: float | None = None,
             seed: int = 0) -> Dataset:
    """A built-in data set, the same for the same arguments: `points_per_class` rows per class,
    class by class."""
    gen = BUILT_IN[name]
    classes = gen.classes or classes
    x = gen.draw(np.random.default_rng(seed), classes, points_per_class,
                 gen.noise if noise is None else noise)
    labels = np.repeat(np.arange(classes), points_per_class)
    return Dataset(name, x, labels, classes, ("x₁", "x₂"), tuple(map(str, range(classes))))


def read(spec: Any) -> Dataset:
    """A request's `dataset`, checked; every mistake is a BackpropError naming it."""
    if not isinstance(spec, Mapping):
        raise BackpropError("error.dataset.type", named='{"name": "spiral", …}',
                            csv='{"csv": "x1,x2,label\\n…"}')
    fields = CSV_FIELDS if "csv" in spec else NAMED_FIELDS
    unknown = sorted(set(spec) - set(fields))
    if unknown:
        raise BackpropError("error.dataset.unknown_field", field=repr(unknown[0]),
                            fields=", ".join(fields))
    standardise = spec.get("standardise", False)
    if not isinstance(standardise, bool):
        raise BackpropError("error.dataset.standardise")
    data = _csv(spec) if "csv" in spec else _named(spec)
    return standardised(data) if standardise else data


def standardised(data: Dataset) -> Dataset:
    """Each feature shifted and scaled to mean 0 and standard deviation 1 (a constant one to 0)."""
    mean = data.features.mean(axis=0)
    std = data.features.std(axis=0)
    x = (data.features - mean) / np.where(std > 0, std, 1.0)
    return Dataset(data.name, x, data.labels, data.classes, data.feature_names,
                   data.class_names)


def _whole(spec: Mapping[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    v = spec.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise BackpropError("error.dataset.whole", field=name, low=lo, high=hi, got=repr(v))
    return v


def _named(spec: Mapping[str, Any]) -> Dataset:
    name = spec.get("name")
    if name not in BUILT_IN:
        raise BackpropError("error.dataset.name", choices=", ".join(BUILT_IN), got=repr(name))
    gen = BUILT_IN[name]
    if gen.classes is not None and spec.get("classes", gen.classes) != gen.classes:
        raise BackpropError("error.dataset.classes", name=name, classes=gen.classes,
                            got=repr(spec["classes"]))
    classes = gen.classes or _whole(spec, "classes", 3, 2, MAX_DATASET_CLASSES)
    points = _whole(spec, "points_per_class", 100, 1, MAX_DATASET_ROWS // classes)
    seed = _whole(spec, "seed", 0, 0, 2**63 - 1)
    noise = spec.get("noise", gen.noise)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 10:
        raise BackpropError("error.dataset.noise", got=repr(noise))
    return generate(name, classes, points, float(noise), seed)


# ---------------------------------------------------------------- uploaded

def _csv(spec: Mapping[str, Any]) -> Dataset:
    """A header row naming the columns, then one sample a row: numbers in every column but the
    label's, whose values (numbers or words) are the classes, in sorted order."""
    text, label = spec["csv"], spec.get("label", "label")
    if not isinstance(text, str) or not isinstance(label, str):
        raise BackpropError("error.dataset.csv_type")
    lines = [(k, row) for k, row in enumerate(csv.reader(io.StringIO(text)), 1)
             if any(cell.strip() for cell in row)]
    if not lines:
        raise BackpropError("error.dataset.csv_empty")
    (_, header), body = lines[0], lines[1:]
    header = [h.strip() for h in header]
    if label not in header:
        raise BackpropError("error.dataset.no_label", label=repr(label), columns=", ".join(header))
    if len(body) > MAX_DATASET_ROWS:
        raise BackpropError("error.dataset.rows", rows=len(body), limit=MAX_DATASET_ROWS)
    if len(header) - 1 > MAX_DATASET_FEATURES:
        raise BackpropError("error.dataset.features", features=len(header) - 1,
                            limit=MAX_DATASET_FEATURES)
    if len(header) < 2:
        raise BackpropError("error.dataset.no_features")
    at = header.index(label)
    features, labels, errors = [], [], []
    for line, row in body:
        problem = _row_problem(row, header, at)
        if problem:
            errors.append(msg("error.dataset.row", line=line, problem=problem))
            continue
        features.append([float(v) for k, v in enumerate(row) if k != at])
        labels.append(row[at].strip())
    if errors:
        more = len(errors) - CSV_ERRORS_SHOWN
        raise BackpropError("error.dataset.bad_row" if len(errors) == 1 else
                            "error.dataset.bad_rows", count=len(errors),
                            rows=errors[:CSV_ERRORS_SHOWN],
                            more=msg("error.dataset.more_rows", more=more) if more > 0 else "")
    if not body:
        raise BackpropError("error.dataset.no_rows")
    names = sorted(set(labels), key=_class_order)
    if not 2 <= len(names) <= MAX_DATASET_CLASSES:
        raise BackpropError("error.dataset.label_classes", classes=len(names),
                            limit=MAX_DATASET_CLASSES)
    index = {name: k for k, name in enumerate(names)}
    return Dataset("csv", np.array(features), np.array([index[v] for v in labels]), len(names),
                   tuple(h for k, h in enumerate(header) if k != at), tuple(names))


def _row_problem(row: list[str], header: list[str], at: int) -> dict | None:
    """What is wrong with one row, said as the user would look for it (a message)."""
    if len(row) != len(header):
        return msg("error.dataset.row_fields", fields=len(row), header=len(header))
    if not row[at].strip():
        return msg("error.dataset.row_label", label=header[at])
    for k, cell in enumerate(row):
        if k == at:
            continue
        try:
            ok = math.isfinite(float(cell))
        except ValueError:
            ok = False
        if not ok:
            return msg("error.dataset.row_number", column=header[k], got=repr(cell.strip()))
    return None


def _class_order(name: str) -> tuple[int, float, str]:
    """Numbers in numeric order (2 before 10), then words alphabetically."""
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)
