"""The examples one click away (issue 8, item 6): the lecture's expressions and CS231n's, each
with its values written out so that the numbers teach, and a one-line caption saying what to
look at (both in the catalogs, in each language). `variables` is what POST /api/trace takes, so
a preset is a request as it stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import datasets, i18n, sgd


@dataclass(frozen=True)
class Preset:
    """A request as it stands; its title and caption are the catalogs' preset.<id>.title and
    preset.<id>.caption (i18n/en.json, i18n/ko.json)."""

    id: str
    expression: str
    variables: Mapping[str, Mapping[str, Any]]   # {name: {"value": …}}, as /api/trace reads it
    f: str = "tanh"
    seed: int = 0
    # ready to train: the rest of a POST /api/train body (dataset, batch_size, eta, steps)
    training: Mapping[str, Any] | None = None

    @property
    def title(self) -> str:
        return i18n.say(f"preset.{self.id}.title", "en")

    @property
    def caption(self) -> str:
        return i18n.say(f"preset.{self.id}.caption", "en")

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The preset as GET /api/presets answers it, its words in `lang`, with their keys so
        that a page can say them again in another language."""
        title, caption = f"preset.{self.id}.title", f"preset.{self.id}.caption"
        return {"id": self.id, "title": i18n.say(title, lang),
                "caption": i18n.say(caption, lang), "title_key": title, "caption_key": caption,
                "expression": self.expression,
                "variables": {name: dict(spec) for name, spec in self.variables.items()},
                "f": self.f, "seed": self.seed,
                "training": None if self.training is None else dict(self.training)}


def _values(**arrays: Any) -> dict[str, dict[str, Any]]:
    return {name: {"value": value} for name, value in arrays.items()}


# The lecture's numbers: x has a 0 (its column of ∂s/∂W = δxᵀ is 0), and z = Wx + b is
# (0.5, −1, 1.5), so f′(z) = 1 − tanh²(z) is 0.79, 0.42, 0.18: the more saturated the unit,
# the less gradient passes.
W = [[0.2, -0.1, 0.4, 0.3],
     [-0.3, 0.2, 0.1, -0.2],
     [0.1, 0.1, -0.5, 0.4]]
X = [1, 2, 0, -1]
B = [0.8, -1.3, 1.6]
U = [1, -1, 0.5]
LECTURE = _values(W=W, x=X, b=B, u=U)

# Five word vectors of two numbers each: the window x is 10×1 and W is 3×10.
WORDS = {"x_museums": [0.3, -0.2], "x_in": [0.1, 0.1], "x_Paris": [0.9, 0.4],
         "x_are": [0.0, 0.2], "x_amazing": [-0.5, 0.7]}
W_WINDOW = [[0.1, 0.2, 0.0, -0.1, 0.5, 0.3, 0.0, 0.1, -0.2, 0.1],
            [-0.2, 0.1, 0.1, 0.0, 0.4, -0.3, 0.2, 0.0, 0.1, -0.1],
            [0.0, -0.1, 0.2, 0.1, -0.3, 0.2, -0.1, 0.2, 0.0, 0.3]]

# CS231n's case study: a 2-layer ReLU net, hidden 50, on the 3-class spiral, samples as rows
# (h = XW + b: the biases are rows, repeated over the batch). The preset opens at step 0 of
# training: its first mini-batch of 30 rows, the parameters as INIT_RULE starts them.
SPIRAL_NET = ("H = relu(X W1 + b1)\nS = H W2 + b2\n"
              "L = -mean(sum(Y ∘ log(softmax(S, axis=1)), axis=1))")
SPIRAL_TRAINING = {"dataset": {"name": "spiral", "classes": 3, "points_per_class": 100,
                               "seed": 0},
                   "batch_size": 30, "eta": 0.5, "steps": 300}
SPIRAL_SHAPES = {"W1": (2, 50), "b1": (1, 50), "W2": (50, 3), "b2": (1, 3)}


def _spiral_start() -> dict[str, dict[str, Any]]:
    data = datasets.generate("spiral", 3, 100, seed=0)
    rows = sgd.schedule(0, data.rows, SPIRAL_TRAINING["batch_size"], 0)
    return _values(X=data.features[rows].tolist(), Y=data.one_hot(rows).tolist(),
                   **{name: sgd.initial(name, shape, 0).tolist()
                      for name, shape in SPIRAL_SHAPES.items()})


PRESETS: tuple[Preset, ...] = (
    Preset("lecture", "s = uᵀ f(Wx + b)", LECTURE),
    Preset("lecture-steps", "z = Wx + b\nh = f(z)\ns = uᵀh", LECTURE),
    Preset("logistic", "s = uᵀ f(Wx + b)\nJ = σ(s)", LECTURE),
    Preset("ner-window", "x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)",
           _values(**WORDS, W=W_WINDOW, b=[0.1, -0.1, 0.2], u=[1, -0.5, 0.8])),
    Preset("cs231n-add-mul", "q = x + y\nf = q * z", _values(x=-2, y=5, z=-4)),
    Preset("sigmoid-neuron", "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
           _values(w0=2, x0=-1, w1=-3, x1=-2, w2=-3)),
    Preset("gates", "f = 2 * (x*y + max(z, w) + x)", _values(x=3, y=-4, z=2, w=-1)),
    Preset("mini-batch", "s = sum(uᵀ f(W X + b))",
           _values(W=W, X=[[1, 0.5, -1], [2, 0, 1], [0, 1, 0.5], [-1, 0.5, 0]], b=B, u=U)),
    Preset("two-layer-softmax",
           "h = f(W1 x + b1)\nθ = W2 h + b2\nŷ = softmax(θ)\nJ = -sum(y ∘ log(ŷ))",
           _values(x=[1, -1, 0.5],
                   W1=[[0.5, -0.2, 0.1], [0.3, -0.4, 0.2], [-0.1, 0.2, 0.7]],
                   b1=[0.1, 0.2, 0.3],
                   W2=[[0.4, -0.3, 0.2], [0.1, 0.5, -0.2], [-0.3, 0.2, 0.6]],
                   b2=[0.0, 0.1, -0.1], y=[0, 1, 0]),
           f="relu"),
    Preset("spiral", SPIRAL_NET, _spiral_start(), training=SPIRAL_TRAINING),
)

BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}
