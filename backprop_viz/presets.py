"""The examples one click away (issue 8, item 6): the lecture's expressions and CS231n's, each
with its values written out so that the numbers teach, and a one-line caption saying what to
look at. `variables` is what POST /api/trace takes, so a preset is a request as it stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import datasets, sgd


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    caption: str
    expression: str
    variables: Mapping[str, Mapping[str, Any]]   # {name: {"value": …}}, as /api/trace reads it
    f: str = "tanh"
    seed: int = 0
    # ready to train: the rest of a POST /api/train body (dataset, batch_size, eta, steps)
    training: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "caption": self.caption,
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
    Preset("lecture", "Lecture 3",
           "CS224N lecture 3's network: δ = u ∘ f′(z) is computed once, then ∂s/∂W = δxᵀ, "
           "∂s/∂b = δ and ∂s/∂x = Wᵀδ reuse it.",
           "s = uᵀ f(Wx + b)", LECTURE),
    Preset("lecture-steps", "z, h, s",
           "The same network with its intermediate values named as the lecture names them: "
           "z = Wx + b, h = f(z), s = uᵀh.",
           "z = Wx + b\nh = f(z)\ns = uᵀh", LECTURE),
    Preset("logistic", "J = σ(s)",
           "The score squashed to a probability: ∂J/∂s = σ(s)(1 − σ(s)) scales every gradient "
           "below it.",
           "s = uᵀ f(Wx + b)\nJ = σ(s)", LECTURE),
    Preset("ner-window", "NER window",
           "Five stacked word vectors make the window x; the stack's backward step hands each "
           "word its own slice of ∂s/∂x.",
           "x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)",
           _values(**WORDS, W=W_WINDOW, b=[0.1, -0.1, 0.2], u=[1, -0.5, 0.8])),
    Preset("cs231n-add-mul", "(x + y)z",
           "CS231n's first circuit at x = −2, y = 5, z = −4: f = −12, and the multiply swaps "
           "its inputs, so ∂f/∂q = z = −4 and ∂f/∂z = q = 3.",
           "q = x + y\nf = q * z", _values(x=-2, y=5, z=-4)),
    Preset("sigmoid-neuron", "Sigmoid neuron",
           "σ(w0x0 + w1x1 + w2) written with exp and 1/x: f = 0.73, and every gate's local "
           "gradient multiplies into ∂f/∂w = (−0.2, −0.39, 0.2).",
           "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
           _values(w0=2, x0=-1, w1=-3, x1=-2, w2=-3)),
    Preset("gates", "Gates",
           "Add distributes (2 to each input), multiply swaps (∂/∂x = 2y, ∂/∂y = 2x), max "
           "routes (all to z, none to w), copy sums (∂f/∂x = −8 + 2 = −6).",
           "f = 2 * (x*y + max(z, w) + x)", _values(x=3, y=-4, z=2, w=-1)),
    Preset("mini-batch", "Mini-batch",
           "Three examples as the columns of X: b is repeated across them (the repeat node), "
           "and its backward step sums δ's columns back into ∂s/∂b.",
           "s = sum(uᵀ f(W X + b))",
           _values(W=W, X=[[1, 0.5, -1], [2, 0, 1], [0, 1, 0.5], [-1, 0.5, 0]], b=B, u=U)),
    Preset("two-layer-softmax", "2-layer softmax",
           "y is one-hot (class 2): at the logits θ the gradient is the famous ŷ − y, "
           "the predicted probabilities minus the truth.",
           "h = f(W1 x + b1)\nθ = W2 h + b2\nŷ = softmax(θ)\nJ = -sum(y ∘ log(ŷ))",
           _values(x=[1, -1, 0.5],
                   W1=[[0.5, -0.2, 0.1], [0.3, -0.4, 0.2], [-0.1, 0.2, 0.7]],
                   b1=[0.1, 0.2, 0.3],
                   W2=[[0.4, -0.3, 0.2], [0.1, 0.5, -0.2], [-0.3, 0.2, 0.6]],
                   b2=[0.0, 0.1, -0.1], y=[0, 1, 0]),
           f="relu"),
    Preset("spiral", "Spiral, 2-layer ReLU net (CS231n)",
           "CS231n's case study, ready to train: 300 points of a 3-class spiral, 30 a "
           "mini-batch as X's rows; b1 repeats over the batch and its gradient sums δ's rows.",
           SPIRAL_NET, _spiral_start(), training=SPIRAL_TRAINING),
)

BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}
