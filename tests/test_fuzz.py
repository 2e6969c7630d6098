"""Fuzzing: nothing a caller sends gives a 500, and everything answered follows API.md.

Hypothesis sends random text (any unicode, weighted towards the language's own symbols), random
request bodies, and random well-formed programs over the whole grammar to /api/trace, and the
well-formed programs to the engine directly. `make test` runs 150 examples per test; `make fuzz`
sets BACKPROP_FUZZ_EXAMPLES=10000 and runs pytest with -s, which shows what each test got: every
answer counted, those Hypothesis sends while shrinking a failure included.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from checks import check_error, check_position, check_trace, strict_json
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from backprop_viz import trace as run
from backprop_viz.errors import BackpropError
from backprop_viz.syntax import F_CHOICES

EXAMPLES = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- random text

SYMBOLS = ["ᵀ", "'", "^", "**", "^T", ".T", "@", "·", "⊙", "∘", "−", "-", "+", "*", "/", "[",
           "]", ";", ",", "(", ")", "=", "σ", "\n", "\r\n", "\r", " ", ".", "T", "e", "²", "⁻¹",
           "⊤", "⋅", "√", "‖", "′", "+=", "*=", ":", "e^", "#", "^\\top", "（", "）", "’",
           "1.", "ｘ", "^{\\top}", "[x; 1]"]
WORDS = ["tanh", "sigmoid", "relu", "exp", "log", "sqrt", "abs", "sin", "cos", "f", "sum",
         "mean", "max", "min", "softmax", "tanhh", "Wx", "uᵀh", "x_in", "W1", "s", "z", "h",
         "2", "0.5", "1e-3", ".5", "1e999", "9" * 400, "2e", "α", "ln", "norm", "repeat", "dot",
         ".sum()", ".relu()", ".dot(", "np.", "torch.tanh", "axis=", "axis=0", "dim=1",
         "keepdims=True", "True", "f′", "tanh′", "w0x0", "square", "[0]", "ReLU", "np.var",
         ".pow(2)", ".detach()", ".t()", ".values", "np.square", "torch.dot", "np.amax",
         "dim=-1", "keepdim=True", "ddof=1", "x_museums x_in", "scores", "가중치", "uT",
         ".transpose(-2, -1)", "Value", "F.relu", "torch.nn.functional."]
random_text = st.lists(st.one_of(st.characters(), st.sampled_from(SYMBOLS),
                                 st.sampled_from(WORDS)), max_size=60).map("".join)

# ---------------------------------------------------------------- well-formed programs

# Precedence levels as LANGUAGE.md orders them, loosest first: an operand whose level is below
# what its place needs is written in parentheses.
SUM, PRODUCT, PREFIX, POWER, POSTFIX, ATOM = range(1, 7)

# No one-letter variable is also an assigned name, so that a run such as `Wh` (W times the
# assigned h) never refers to a name by accident; `f` and `σ` are functions, never variables.
VARIABLES = ("x", "y", "u", "v", "w", "a", "b", "c", "W", "A", "B", "X", "Y", "α", "β", "θ",
             "W1", "b_2", "x_in", "h_1")
ASSIGNED = ("z", "h", "s", "q", "r", "z1", "h_2", "out2", "dot", "scores")
NUMBERS = ("0", "1", "2", "0.5", "3.25", "1e-3", "2E+2", ".5", "10", "1.", "2.")
EXPONENTS = ("2", "3", "1", "0", "-1", "0.5", "+2", "(-0.5)", "(2)", "-2", "(1/2)", "(-1/3)")
TRANSPOSES = ("ᵀ", "^T", ".T", "'", "^\\top", "’")
SIGNS = ("-", "−", "+")
PRODUCTS = ("@", "·", "*", "⊙", "∘", "/")
SUMS = ("+", "-", "−")
UNARY_FUNCTIONS = ("tanh", "sigmoid", "σ", "relu", "exp", "log", "sqrt", "abs", "sin", "cos",
                   "f", "sum", "mean", "max", "min", "softmax", "norm", "ln", "np.tanh",
                   "torch.sigmoid", "math.exp", "numpy.log", "np.sum", "transpose", "f′", "f'",
                   "tanh′", "σ′", "relu′", "ReLU", "Sigmoid", "Tanh", "np.square", "detach",
                   "np.var", "torch.var", "torch.nn.functional.relu")
BINARY_FUNCTIONS = ("max", "min", "np.maximum", "np.minimum", "dot", "np.dot", "np.matmul",
                    "torch.dot")
METHODS = ("sum", "mean", "relu", "tanh", "exp", "log", "sigmoid", "max", "min", "norm",
           "detach", "t", "transpose", "transpose(-2, -1)", "pow(2)", "var(ddof=1)",
           "max(dim=1, keepdim=True).values", "softmax(-1)")
AXIS_FUNCTIONS = ("sum", "mean", "max", "min", "softmax", "norm", "np.sum", "torch.softmax",
                  "np.max", "np.amax", "np.var", "torch.max")
SUPERSCRIPTS = ("²", "³", "⁻¹", "⁰", "¹")
AUGMENTED = ("+=", "-=", "*=", "/=")
STATEMENT_SEPARATORS = ("\n", ";", "; ", "\r\n", "\n\n", " ;\n", "  # a comment\n",
                        "\n# a line of comment\n")
REDUCTIONS = ("sum", "mean", "max", "min")

Piece = tuple[str, int]   # source text and its precedence level


def _wrap(piece: Piece, level: int) -> str:
    text, own = piece
    return f"({text})" if own < level else text


def _spaced(draw: st.DrawFn, symbol: str) -> str:
    return draw(st.sampled_from((f" {symbol} ", symbol, f"{symbol} ")))


@st.composite
def expression(draw: st.DrawFn, names: list[str], used: set[str], depth: int) -> Piece:
    """A random expression over the whole grammar; `names` are the assigned names in scope,
    `used` collects the variables written, for the request's `variables`."""
    kinds = ["variable", "number"] + (["assigned"] if names else [])
    if depth > 0:
        kinds += ["call", "call2", "group", "stack", "transpose", "power", "sign", "product",
                  "juxtapose", "sum", "superscript", "root", "norm", "exp", "method", "dot",
                  "axis", "repeat", "spaced", "augment"]
    kind = draw(st.sampled_from(kinds))
    sub = expression(names, used, depth - 1)
    if kind == "variable":
        name = draw(st.sampled_from(VARIABLES))
        used.add(name)
        return name, ATOM
    if kind == "number":
        return draw(st.sampled_from(NUMBERS)), ATOM
    if kind == "assigned":
        return draw(st.sampled_from(names)), ATOM
    if kind == "call":
        func = draw(st.sampled_from(UNARY_FUNCTIONS))
        return f"{func}{draw(st.sampled_from(('', ' ')))}({draw(sub)[0]})", ATOM
    if kind == "call2":
        func = draw(st.sampled_from(BINARY_FUNCTIONS))
        comma = draw(st.sampled_from((", ", ",")))
        return f"{func}({draw(sub)[0]}{comma}{draw(sub)[0]})", ATOM
    if kind == "group":
        return f"({draw(sub)[0]})", ATOM
    if kind == "stack":
        rows = draw(st.lists(st.lists(sub, min_size=1, max_size=3), min_size=1, max_size=3))
        sep = draw(st.sampled_from(("; ", ";", ";\n", " ;\n  ")))
        return "[" + sep.join(", ".join(text for text, _ in row) for row in rows) + "]", ATOM
    if kind == "transpose":
        return _wrap(draw(sub), POSTFIX) + draw(st.sampled_from(TRANSPOSES)), POSTFIX
    if kind == "power":
        op = _spaced(draw, draw(st.sampled_from(("^", "**"))))
        marks = "".join(draw(st.lists(st.sampled_from(TRANSPOSES), max_size=2)))
        return _wrap(draw(sub), POSTFIX) + op + draw(st.sampled_from(EXPONENTS)) + marks, POWER
    if kind == "superscript":
        return _wrap(draw(sub), POSTFIX) + draw(st.sampled_from(SUPERSCRIPTS)), POWER
    if kind == "root":
        return "√" + _wrap(draw(sub), POWER), PREFIX
    if kind == "norm":
        return f"‖{draw(sub)[0]}‖", ATOM
    if kind == "exp":
        return f"e{draw(st.sampled_from(('^', '**')))}({draw(sub)[0]})", POWER
    if kind == "method":
        method = draw(st.sampled_from(METHODS))
        return f"{_wrap(draw(sub), POSTFIX)}.{method}()", POSTFIX
    if kind == "dot":
        return f"{_wrap(draw(sub), POSTFIX)}.dot({draw(sub)[0]})", POSTFIX
    if kind == "axis":
        func = draw(st.sampled_from(AXIS_FUNCTIONS))
        axis = draw(st.sampled_from(("axis=0", "axis=1", "0", "1", "dim=1", "axis=-1",
                                     "axis=0, keepdims=True", "-1", "dim=-1, keepdim=True")))
        return f"{func}({draw(sub)[0]}, {axis})", ATOM
    if kind == "spaced":     # the slide's [x_museums x_in x_Paris]: side by side
        names = draw(st.lists(st.sampled_from(VARIABLES), min_size=2, max_size=4))
        used.update(names)
        return "[" + " ".join(names) + "]", ATOM
    if kind == "augment":    # σ(wᵀ[x; 1]): a product with a stack
        name = draw(st.sampled_from(VARIABLES))
        used.add(name)
        return f"{name}[{draw(sub)[0]}; {draw(sub)[0]}]", PRODUCT
    if kind == "repeat":
        n, axis = draw(st.integers(1, 4)), draw(st.sampled_from((0, 1)))
        return f"repeat({draw(sub)[0]}, {n}, axis={axis})", ATOM
    if kind == "sign":
        return draw(st.sampled_from(SIGNS)) + _wrap(draw(sub), PREFIX), PREFIX
    left, right = draw(sub), draw(sub)
    if kind == "juxtapose":
        return _juxtapose(draw, left, right), PRODUCT
    level, ops = (PRODUCT, PRODUCTS) if kind == "product" else (SUM, SUMS)
    op = _spaced(draw, draw(st.sampled_from(ops)))
    return _wrap(left, level) + op + _wrap(right, level + 1), level


def _juxtapose(draw: st.DrawFn, left: Piece, right: Piece) -> str:
    """Two operands side by side. Written together (`Wx`, `uᵀh`, `(a)b`) where the run of
    letters cannot spell a function, else with a space; a signed right side is parenthesised,
    since `a -b` is a difference."""
    left_text = _wrap(left, PRODUCT)
    right_text = _wrap(right, PRODUCT + 1)
    if right_text[0] in "+-−":
        right_text = f"({right_text})"
    together = (right_text in VARIABLES and len(right_text) == 1
                and (left_text[-1] in "ᵀ)]" or (len(left_text) == 1 and left_text.isupper())))
    return left_text + ("" if together and draw(st.booleans()) else " ") + right_text


@st.composite
def program(draw: st.DrawFn, used: set[str]) -> str:
    """One to four statements; each may use the names assigned before it, and the last one is
    usually reduced to a scalar, as the output must be."""
    count = draw(st.integers(1, 4))
    targets = draw(st.lists(st.sampled_from(ASSIGNED), min_size=count, max_size=count))
    statements = []
    for i, target in enumerate(targets):
        names = sorted(set(targets[:i]))
        text = draw(expression(names, used, draw(st.integers(0, 4))))[0]
        last = i == count - 1
        if last and draw(st.integers(0, 3)):
            text = f"{draw(st.sampled_from(REDUCTIONS))}({text})"
        bare = last and draw(st.booleans())
        # a name assigned again, now and then as `+=`; a first assignment now and then a number
        assign = draw(st.sampled_from(("=", *AUGMENTED))) if target in names else "="
        if assign == "=" and target not in names and not last and draw(st.integers(0, 4)) == 0:
            text = draw(st.sampled_from(NUMBERS + ("-4.0", "-1")))
        statements.append(text if bare else f"{target}{_spaced(draw, assign)}{text}")
    source = statements[0]
    for statement in statements[1:]:
        source += draw(st.sampled_from(STATEMENT_SEPARATORS)) + statement
    return draw(st.sampled_from(("", " ", "\n"))) + source + draw(st.sampled_from(("", "\n")))


# Finite numbers, with a few that overflow on the way (exp(1000), 1e300²) into NaN and ±∞, and
# a JSON integer too large for any float.
values = st.one_of(st.floats(-10, 10), st.integers(-5, 5),
                   st.sampled_from((1e300, -1e300, 1e-300, 0.0, 1000.0, -750.0, 10**400)))
dims = st.integers(1, 4)
# now and then large enough that a local Jacobian (65 × 65 > 4096 numbers) is sent as null
large_dims = st.one_of(dims, st.sampled_from((9, 65)))


@st.composite
def variable_spec(draw: st.DrawFn) -> dict[str, Any]:
    """A shape, a value (a number, a column as a flat list, a matrix row by row), or both."""
    kind = draw(st.sampled_from(("shape", "number", "column", "matrix", "both")))
    if kind == "shape":
        return {"shape": [draw(large_dims), draw(large_dims)]}
    rows, cols = draw(dims), draw(dims)
    if kind == "number":
        return {"value": draw(values)}
    if kind == "column":
        return {"value": draw(st.lists(values, min_size=rows, max_size=rows))}
    matrix = draw(st.lists(st.lists(values, min_size=cols, max_size=cols), min_size=rows,
                           max_size=rows))
    return {"value": matrix} | ({"shape": [rows, cols]} if kind == "both" else {})


@st.composite
def well_formed_request(draw: st.DrawFn) -> dict[str, Any]:
    """A program with random declared shapes and values for some of its variables, now and then
    for one it does not use or for a run of letters (`Wx` declared is one variable, not W · x),
    and a random `f` and `seed`."""
    used: set[str] = set()
    source = draw(program(used))
    declared = draw(st.lists(st.sampled_from(sorted(used | {"unused", "Wx", "xy"})),
                             unique=True, max_size=3))
    body: dict[str, Any] = {"expression": source}
    if declared:
        body["variables"] = {name: draw(variable_spec()) for name in declared}
    if draw(st.booleans()):
        body["f"] = draw(st.sampled_from(F_CHOICES))
    if draw(st.booleans()):
        body["seed"] = draw(st.integers(0, 2**63 - 1))
    return body


# ---------------------------------------------------------------- random request bodies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=4),
    max_leaves=12)

random_request = st.fixed_dictionaries(
    {"expression": random_text},
    optional={
        "variables": st.one_of(json_values, st.dictionaries(
            st.one_of(st.sampled_from(VARIABLES + ASSIGNED + UNARY_FUNCTIONS + ("out", "ᵀ")),
                      st.text(max_size=4)),
            st.one_of(variable_spec(), json_values), max_size=3)),
        "f": st.one_of(st.sampled_from(F_CHOICES), json_values),
        "seed": st.one_of(st.integers(-2, 2**64), json_values),
    })
odd_body = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "expression": json_values, "variables": json_values, "f": json_values, "seed": json_values}))

# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, Counter]]:
    """What each test got, printed at the end of the module: pytest shows it with -s, as
    `make fuzz` runs it, and otherwise only when a test fails."""
    counts: dict[str, Counter] = {}
    yield counts
    print()
    for test, seen in counts.items():
        table = ", ".join(f"{key}: {n}" for key, n in seen.items())
        print(f"{test}: {seen.total()} examples; {table}")


def counter(tally: dict[str, Counter], test: str, *outcomes: str) -> Counter:
    """The test's counts, every outcome listed even when it never happened (500: 0)."""
    return tally.setdefault(test, Counter(dict.fromkeys(outcomes, 0)))


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[FlaskClient]:
    """The app's client, with its log line per request turned down for these thousands."""
    logger = logging.getLogger("backprop_viz")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield create_app({"TESTING": True}).test_client()
    logger.setLevel(level)


def post(client: FlaskClient, counts: Counter, data: str | bytes, expression: Any) -> None:
    """POST one body as sent, count the status, and hold the answer to API.md.

    TESTING propagates an exception out of the view instead of answering 500: both count as 500.
    """
    try:
        response = client.post("/api/trace", data=data, content_type="application/json")
    except Exception:
        counts["500"] += 1
        raise
    counts[str(response.status_code)] += 1
    assert response.status_code in (200, 400), response.status_code
    answer = strict_json(response.get_data(as_text=True))
    if response.status_code == 400:
        check_error(answer, expression)
    else:
        check_trace(answer, expression, svg=True)


# Found by this fuzzing: a JSON integer too large for a float as a variable's value (1e400
# written out in digits) once raised OverflowError in the engine, a 500.
@pytest.mark.parametrize("value", [10**400, [1, -(10**400)], [[10**400]]],
                         ids=["number", "column", "matrix"])
def test_integer_too_large_for_a_float_is_a_400(fuzz_client, value):
    body = {"expression": "s = sum(x)", "variables": {"x": {"value": value}}}
    response = fuzz_client.post("/api/trace", json=body)
    assert response.status_code == 400
    check_error(response.get_json(), body["expression"])


@FUZZ
@given(body=random_request)
def test_random_text_is_answered_200_or_400(fuzz_client, tally, body):
    counts = counter(tally, "web, random text", "200", "400", "500")
    post(fuzz_client, counts, json.dumps(body), body["expression"])


@FUZZ
@given(body=st.one_of(odd_body.map(json.dumps), st.binary(max_size=40),
                      random_text.map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_odd_bodies_are_answered_200_or_400(fuzz_client, tally, body):
    """Any JSON value, any bytes, any text where a JSON object should be (sent as UTF-8, lone
    surrogates and all: a client can send any bytes)."""
    counts = counter(tally, "web, odd bodies", "200", "400", "500")
    try:
        sent = json.loads(body)
    except ValueError:
        sent = None
    post(fuzz_client, counts, body, sent.get("expression") if isinstance(sent, dict) else None)


@FUZZ
@given(body=well_formed_request())
def test_well_formed_programs_are_answered_200_or_400(fuzz_client, tally, body):
    counts = counter(tally, "web, well-formed", "200", "400", "500")
    post(fuzz_client, counts, json.dumps(body), body["expression"])


@FUZZ
@given(body=well_formed_request())
def test_engine_raises_only_backprop_errors(tally, body):
    counts = counter(tally, "engine, well-formed", "trace", "BackpropError", "other exception")
    try:
        trace = run(body["expression"], body.get("variables"), body.get("f", "tanh"),
                    body.get("seed", 0))
    except BackpropError as err:
        counts["BackpropError"] += 1
        check_position(err.position, body["expression"])
        return
    except Exception:
        counts["other exception"] += 1
        raise
    counts["trace"] += 1
    # strict: what the web layer sends must not hold a NaN left as a float (or as null)
    check_trace(strict_json(trace.to_json()), body["expression"], svg=False)
