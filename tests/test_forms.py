"""The lecture's two forms as a spec: for every op and port, the shape convention's factors,
taken from where their refs point and combined with their operators, are the VJP's downstream;
their shapes multiply to the input's shape; δ is named once and reused; the closed forms of
the lecture come out as the lecture writes them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from checks import strict_json, trace_json
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import draw_case

from backprop_viz import compiled, forms, i18n, trace
from backprop_viz.jsonio import dumps
from backprop_viz.ops import OPS, Op
from backprop_viz.presets import BY_ID, PRESETS
from backprop_viz.rule import Names

Shape = tuple[int, int]
LECTURE = "s = uᵀ f(Wx + b)"
BROKEN_UP = "z = Wx + b\nh = f(z)\ns = uᵀh"
SIZES = {"W": {"shape": [3, 4]}, "x": {"shape": [4, 1]}}


def product_shape(shapes: list[Shape], operators: tuple[str, ...]) -> Shape:
    """The shape the factors multiply to, checked as a reader would: m×n · n×p = m×p (a 1×1
    scales), ∘ and / and ± between equal shapes; · ∘ / left to right, then + and −."""
    def times(a: Shape, b: Shape, op: str) -> Shape:
        if op == "·":
            if a == (1, 1) or b == (1, 1):
                return b if a == (1, 1) else a
            assert a[1] == b[0], (a, op, b)
            return a[0], b[1]
        assert a == b, (a, op, b)
        return a

    terms, product = [], shapes[0]
    for op, s in zip(operators, shapes[1:], strict=True):
        if op in "+−":
            terms.append(product)
            product = s
        else:
            product = times(product, s, op)
    assert all(t == product for t in terms), (terms, product)
    return product


def _check_edge(op: Op, port: int, inputs: tuple[np.ndarray, ...], out: np.ndarray,
                g: np.ndarray, params: dict, up: str, via: str | None) -> None:
    ids = tuple(f"n{k}" for k in range(len(inputs)))
    labels = tuple("abc"[k % 3] for k in range(len(inputs)))
    names = Names(up, labels, tuple(x.shape for x in inputs), "y", out.shape, params, via)
    step = forms.Step("s", "ny", "y", ids, names)
    nodes = {**{i: (x, None) for i, x in zip(ids, inputs, strict=True)}, "ny": (out, g)}

    form, rule = forms.shape_form(op, port, step, inputs, out, g)
    taken = [forms.resolve(f.ref, nodes, g) for f in form.factors]
    assert [a.shape for a in taken] == [f.shape for f in form.factors]
    assert product_shape([f.shape for f in form.factors], form.operators) == inputs[port].shape
    assert form.lhs_shape == inputs[port].shape
    downstream = op.vjp(g, port, inputs, out, params)
    np.testing.assert_allclose(forms.evaluate(taken, form.operators), downstream,
                               rtol=1e-13, atol=1e-15)
    assert form.equation.text == f"{form.lhs.text} = {form.rhs}"
    assert form.equation.latex and all(f.math.latex for f in form.factors) and form.note

    jac = forms.jacobian_form(form, step, port, g.shape, rule.entry)
    assert jac.local_shape == (out.size, inputs[port].size)
    assert jac.upstream_shape == (1, out.size) and jac.product_shape == (1, inputs[port].size)
    assert jac.reshape and jac.equation.latex
    for said in (form.note, jac.reshape):   # words by key, every name a parameter
        assert i18n.placeholders(i18n.catalog("ko")[said.code]) == set(said.params)


@pytest.mark.parametrize("op", OPS.values(), ids=list(OPS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_shape_form_evaluates_to_the_downstream(op: Op, data: st.DataObject) -> None:
    inputs, params, out, g = draw_case(data, op)
    via = data.draw(st.sampled_from([None, "f"]))
    for port in range(len(inputs)):
        _check_edge(op, port, inputs, out, g, params, "g", via)
        if out.shape == (1, 1):    # at the output the upstream is the seed 1, left out
            _check_edge(op, port, inputs, out, np.ones((1, 1)), params, "1", via)


# ----- the lecture -----

def _edge(t, source_label: str, target_label: str):
    for s in t.steps:
        if getattr(s, "inputs", None) and t.node(s.node).label == target_label:
            for e in s.inputs:
                if t.node(e.node).label == source_label:
                    return s, e
    raise AssertionError(f"no edge {source_label} → {target_label}")


@pytest.mark.parametrize("source", [LECTURE, BROKEN_UP])
def test_the_lecture_closed_forms(source: str) -> None:
    t = trace(source, SIZES)
    closed = {name: m.text for name, m in t.closed_forms.items()}
    assert closed == {"W": "δ xᵀ", "b": "δ", "x": "Wᵀ δ", "u": "h"}
    assert [d.math.text for d in t.deltas] == ["δ = u ∘ f′(z)"]
    assert t.closed_forms["W"].latex == r"\delta x^{\top}"


@pytest.mark.parametrize("source", [LECTURE, BROKEN_UP])
def test_the_lecture_shape_forms_are_its_closed_forms(source: str) -> None:
    t = trace(source, SIZES)
    wx = "W · x"
    z = "W · x + b" if source == LECTURE else "z"
    h = "tanh(W · x + b)" if source == LECTURE else "h"
    _, w = _edge(t, "W", wx)
    assert w.shape_form.equation.text == "∂s/∂W = δ · xᵀ"
    assert [f.shape for f in w.shape_form.factors] == [(3, 1), (1, 4)]
    assert w.jacobian_form.upstream_shape == (1, 3) and w.jacobian_form.local_shape == (3, 12)
    assert "entry (i, j) = δᵢ xⱼ, that is δ · xᵀ" in w.jacobian_form.reshape
    assert _edge(t, "x", wx)[1].shape_form.equation.text == "∂s/∂x = Wᵀ · δ"
    assert "the 1×4 row δᵀ W is transposed into the 4×1 column Wᵀ · δ" in \
        _edge(t, "x", wx)[1].jacobian_form.reshape
    assert _edge(t, "b", z)[1].shape_form.equation.text == "∂s/∂b = δ"
    assert _edge(t, z, h)[1].shape_form.equation.text == "∂s/∂z = ∂s/∂h ∘ f′(z)"
    assert _edge(t, h, "s")[1].shape_form.equation.text == "∂s/∂h = u"


def test_the_lecture_names_delta_and_points_at_it() -> None:
    t = trace(LECTURE, SIZES)
    steps = list(t.steps)
    by_label = {t.node(s.node).label: (k, s) for k, s in enumerate(steps, 1)
                if not hasattr(s, "formula")}
    k, z = by_label["W · x + b"]
    assert z.delta.name == "δ" and z.delta.defines and z.delta.equal and z.delta.step == k
    for label, equal in [("W · x", True), ("b", True), ("W", False), ("x", False)]:
        delta = by_label[label][1].delta
        assert (delta.name, delta.step, delta.defines, delta.equal) == ("δ", k, False, equal)
    assert by_label["u"][1].delta is None and by_label["s"][1].delta is None
    assert t.delta_names == {z.node: "δ", by_label["W · x"][1].node: "δ",
                             by_label["b"][1].node: "δ"}


def test_a_second_fan_out_is_delta_two() -> None:
    t = trace("h1 = tanh(W1 x + b1)\nh2 = tanh(W2 h1 + b2)\ns = uᵀh2",
              {"W1": {"shape": [3, 2]}, "W2": {"shape": [3, 3]}})
    named = [(d.delta.name, d.math.text) for d in t.deltas]
    assert named == [("δ", "δ = u ∘ (1 − tanh²(W2 · h1 + b2))"),
                     ("δ₂", "δ₂ = (W2ᵀ δ) ∘ (1 − tanh²(W1 · x + b1))")]
    assert t.closed_forms["W1"].text == "δ₂ xᵀ" and t.closed_forms["W2"].text == "δ h1ᵀ"


@pytest.mark.parametrize("preset, closed", [
    # J = σ(uᵀ h): ∂J/∂uᵀ = δ hᵀ with δ a scalar, so ∂J/∂u = (δ hᵀ)ᵀ = δ h
    ("logistic", "δ h"),
    # the mini-batch's δ is the row 𝟏ᵀ: (δ hᵀ)ᵀ = h δᵀ
    ("mini-batch", "h δᵀ"),
])
def test_a_product_transposed_back_reads_as_a_textbook_writes_it(preset, closed) -> None:
    p = BY_ID[preset]
    t = trace(p.expression, p.variables, p.f)
    assert t.closed_forms["u"].text == closed


def test_a_long_closed_form_is_given_up() -> None:
    t = trace("s = sum(exp(sin(cos(a) * b) + log(a * a + b)) * tanh(a * b * c))")
    assert t.closed_forms["a"] is None
    assert all(len(m.text) <= 40 for m in t.closed_forms.values() if m is not None)


# ----- fan-out -----

@pytest.mark.parametrize("source, variables, node, text", [
    ("s = x*y + x", {"x": {"value": 3.0}, "y": {"value": -1.0}}, "x",
     "∂s/∂x = 1 + (−1) (from its two uses)"),
    ("out = (x + y) * z + x * x", {"x": {"value": -2.0}, "y": {"value": 5.0},
                                   "z": {"value": -4.0}}, "x",
     "∂s/∂x = −2 + (−2) + (−4) (from its three uses)".replace("∂s", "∂out")),
])
def test_fan_out_shows_its_sum(source, variables, node, text) -> None:
    t = trace(source, variables)
    step = next(s for s in t.steps if s.node == t.variables[node] and hasattr(s, "inputs"))
    assert step.fan_out.text == text
    assert step.fan_out.latex.startswith(r"\frac{\partial ")


def test_fan_out_of_arrays_names_the_uses() -> None:
    t = trace("s = uᵀ(W x) + uᵀx", {"W": {"shape": [2, 2]}})
    step = next(s for s in t.steps if s.node == t.variables["x"] and hasattr(s, "inputs"))
    assert step.fan_out.text == "∂s/∂x = (from uᵀ · x) + (from W · x)"


def test_a_single_use_has_no_fan_out() -> None:
    t = trace(LECTURE)
    assert all(s.fan_out is None for s in t.steps if hasattr(s, "inputs"))


# ----- JSON -----

def test_the_json_carries_both_forms_and_refs_that_point_at_the_numbers() -> None:
    data = trace_json(LECTURE, SIZES)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert data["closed_forms"]["W"] == {"text": "δ xᵀ", "latex": r"\delta x^{\top}"}
    (delta,) = data["deltas"]
    assert delta["text"] == "δ = u ∘ f′(z)" and data["steps"][delta["step"] - 1]["node"] == \
        delta["node"]
    for step in data["steps"][len(nodes):]:
        upstream = np.array(nodes[step["node"]]["grad"])
        for edge in step["inputs"]:
            form = edge["shape_form"]
            taken = []
            for f in form["factors"]:
                ref = f["ref"]
                if "value" in ref:
                    a = np.array(ref["value"])
                elif "upstream" in ref:
                    a = upstream
                else:
                    a = np.array(nodes[ref["node"]][ref["of"]])
                a = a.T if ref.get("transpose") else a
                a = -a if ref.get("negate") else a
                assert list(a.shape) == f["shape"]
                taken.append(a)
            source = nodes[edge["node"]]
            down = source["grad"] if edge["downstream"] is None else edge["downstream"]
            np.testing.assert_allclose(forms.evaluate(taken, tuple(form["operators"])), down,
                                       rtol=1e-13)
            assert form["lhs"]["shape"] == source["shape"]
            jac = edge["jacobian_form"]
            assert set(jac) == {"text", "latex", "upstream_shape", "local_shape",
                                "product_shape", "reshape", "reshape_code"}
            # the words by key beside their English: the page says them in its language
            for text, code in ((form["note"], form["note_code"]),
                               (jac["reshape"], jac["reshape_code"])):
                assert i18n.say(code["code"], "en", **code["params"]) == text
    assert strict_json(dumps(data)) == data


def test_derived_arrays_are_sent_only_where_no_node_holds_them() -> None:
    data = trace_json(LECTURE, SIZES)
    values = [f for s in data["steps"] if s["phase"] == "backward" for e in s["inputs"]
              for f in e["shape_form"]["factors"] if "value" in f["ref"]]
    assert [f["text"] for f in values] == ["f′(z)"]


def test_docs_describe_every_new_field() -> None:
    with open("docs/API.md", encoding="utf-8") as f:
        api = f.read()
    for field in ("shape_form", "jacobian_form", "lhs", "factors", "operators", "note", "ref",
                  "note_code", "reshape_code",
                  "upstream_shape", "local_shape", "product_shape", "reshape", "delta",
                  "defines", "equal", "fan_out", "closed_forms", "deltas", "block", "negate"):
        assert f"`{field}`" in api, field


# ----- every preset's words: said once, in names the panel defines -----

PRESET_IDS = [p.id for p in PRESETS]
NOTATION = {"diag", "vec", "I", "f", "exp", "log", "tanh", "σ", "softmax", "relu", "sum",
            "mean", "repeat", "axis", "max", "entry", "i", "j", "ᵢ", "ⱼ", "p"}


def _preset(pid: str):
    p = BY_ID[pid]
    return compiled.trace(p.expression, dict(p.variables), p.f, p.seed)[1]


def _words(text: str) -> set[str]:
    """The names a text uses, without their marks (numbers and 𝟏 are not names)."""
    return {w.rstrip("ᵀ′").translate(str.maketrans("", "", "ᵢⱼ"))
            for w in forms.NAME.findall(text) if w[0].isalpha() and w[0] != "ᵀ"}


@pytest.mark.parametrize("pid", PRESET_IDS)
def test_every_name_a_preset_uses_is_a_label_or_defined(pid: str) -> None:
    """The forms name a node by its own label, or by a name `names` defines (z, h), or a δ."""
    t = _preset(pid)
    known = set().union(*(_words(n.label) for n in t.nodes), NOTATION,
                        {n.name for n in t.names}, {d.delta.name for d in t.deltas},
                        {s.delta.name for s in t.steps if getattr(s, "delta", None)})
    said = [e.shape_form.equation.text for s in t.steps for e in getattr(s, "inputs", ())]
    said += [d.math.text for d in t.deltas]
    said += [m.text for m in t.closed_forms.values() if m is not None]
    for text in said:
        assert _words(text) <= known, (text, _words(text) - known)


@pytest.mark.parametrize("pid", PRESET_IDS)
def test_no_preset_says_a_thing_twice(pid: str) -> None:
    """No equation of the words reads X = X (∂s/∂b = δ = δ)."""
    t = _preset(pid)
    said = [d.math.text for d in t.deltas]
    said += [e.shape_form.equation.text for s in t.steps for e in getattr(s, "inputs", ())]
    for text in said:
        sides = text.split(" = ")
        assert all(a != b for a, b in zip(sides, sides[1:], strict=False)), text


def test_a_named_f_leaves_its_argument_its_own_label() -> None:
    """h = f(W1 x + b1) is named: no z is invented beside it, so δ₃ says f′(W1 · x + b1)."""
    t = _preset("two-layer-softmax")
    assert t.names == ()
    assert [d.math.text for d in t.deltas][2] == "δ₃ = (W2ᵀ δ₂) ∘ f′(W1 · x + b1)"


def test_the_lecture_defines_z_and_h_once() -> None:
    t = _preset("lecture")
    assert [n.definition.text for n in t.names] == ["z = W · x + b", "h = f(z)"]
    assert [t.node(n.node).label for n in t.names] == ["W · x + b", "tanh(W · x + b)"]
    assert _preset("lecture-steps").names == ()


# ----- each preset's summary is what its caption promises -----

# (preset, a claim its caption makes, as the summary writes it: a δ's formula or a variable's
# closed form, "name = formula")
CAPTIONS = [
    ("lecture", "δ = u ∘ f′(z)", "δ = u ∘ f′(z)"),
    ("lecture", "∂s/∂W = δxᵀ", "W = δ xᵀ"),
    ("lecture", "∂s/∂b = δ", "b = δ"),
    ("lecture", "∂s/∂x = Wᵀδ", "x = Wᵀ δ"),
    ("logistic", "∂J/∂s = σ(s)(1 − σ(s))", "δ = σ(s)(1 − σ(s))"),
    ("cs231n-add-mul", "∂f/∂q = z", "δ = z"),
    ("cs231n-add-mul", "∂f/∂z = q", "z = q"),
    ("two-layer-softmax", "the gradient is the famous ŷ − y", "δ₂ = ŷ − y"),
    ("mini-batch", "sums δ's columns back into ∂s/∂b", "b = δ₂ 𝟏"),
]


@pytest.mark.parametrize("pid, claim, summary", CAPTIONS)
def test_each_preset_summary_says_what_its_caption_claims(pid, claim, summary) -> None:
    assert claim in BY_ID[pid].caption
    t = _preset(pid)
    said = {d.math.text for d in t.deltas} | {
        f"{name} = {m.text}" for name, m in t.closed_forms.items() if m is not None}
    assert summary in said, said


def test_softmax_under_cross_entropy_is_y_hat_minus_y_at_the_logits() -> None:
    t = _preset("two-layer-softmax")
    d = next(d for d in t.deltas if d.delta.name == "δ₂")
    assert t.node(d.delta.node).label == "θ" and d.math.text == "δ₂ = ŷ − y"
    assert d.given is not None and t.node(d.given.node).label == "y" and d.given.axis == 0
    assert d.given.text == "y sums to 1, as a one-hot y does"
    assert i18n.say(d.given.text.code, "ko", **d.given.text.params) == "원-핫 y처럼 y의 합이 1"
    assert [x.math.text for x in t.deltas][0] == "δ = −𝟏"     # not 𝟏 −1
    batch = _preset("spiral")
    assert [x.math.text for x in batch.deltas][1] == "δ₂ = (softmax(S, axis=1) − Y) / 30"
    (given,) = [x.given for x in batch.deltas if x.given is not None]
    assert given.condition == "each row of Y sums to 1"


@pytest.mark.parametrize("source", [
    "θ = W x\nŷ = softmax(θ)\nJ = -sum(y ∘ log(ŷ)) + sum(θ)",     # θ has a second use
    "θ = W x\nŷ = softmax(θ)\nJ = sum(y ∘ log(ŷ))",               # no minus sign
])
def test_ce_simplification_needs_the_whole_chain(source: str) -> None:
    t = trace(source, {"W": {"shape": [3, 2]}, "y": {"shape": [3, 1]}})
    assert not any("ŷ − y" in d.math.text for d in t.deltas)
    assert all(d.given is None for d in t.deltas)



@pytest.mark.parametrize("name", ["div", "sub"])
def test_binary_rule_notes_name_the_steps_own_operands(name: str) -> None:
    """The quotient's and the difference's notes say the step's labels (p, q), never a and b."""
    names = Names("g", ("p", "q"), ((1, 1), (1, 1)), "y", (1, 1), {}, None)
    for port in (0, 1):
        note = OPS[name].shape_form(port, names).note
        for lang in ("en", "ko"):
            words = i18n.say(note.code, lang, **note.params)
            assert "q" in words and not re.search(r"(?<![A-Za-z])[ab](?![A-Za-z])", words), words


LABEL_CHARS = "aZ09_.ᵀ²⁻ (+)·∘−é가√δᵢ" + "ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=LABEL_CHARS, max_size=10))
def test_a_label_is_an_atom_by_its_characters(label):
    """notation.atom: a label of letters, digits, "_" and "." and no postfix mark (ᵀ, ², ⁻)
    stands as it is; any other is parenthesised, unless parentheses already enclose it."""
    from backprop_viz import notation as nt
    plain = all((c.isalnum() or c in "_.") and c not in nt.MARKS for c in label)
    want = label if plain or nt.bare(label) != label else f"({label})"
    assert nt.atom(label) == want
