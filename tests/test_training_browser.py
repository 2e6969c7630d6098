"""The scalar view and training on the page, in Chromium: the toggle, its refusal, update and
train K steps against what backprop_viz.training computes, the loss curve the page draws."""

from __future__ import annotations

import json
import re

import pytest
from pages import LECTURE, current_id, open_page

from backprop_viz import limits, numbers, sgd, trace, training
from backprop_viz.presets import BY_ID

pytestmark = pytest.mark.browser

NET = BY_ID["two-layer-softmax"]
SCALAR = '#view-toggle button[data-view="scalar"]'
VECTOR = '#view-toggle button[data-view="vector"]'
NODES = "() => document.querySelectorAll('#graph g.node').length"


def open_net(page, base: str) -> None:
    open_page(page, base, NET.expression, NET.variables, f=NET.f, seed=NET.seed)


def wait_for_nodes(page, n: int) -> None:
    page.wait_for_function(f"() => ({NODES})() === {n}")


def header_value(page) -> str:
    return page.inner_text("#parsed .output-value")




# ------------------------------------------------------------------ the scalar view

def test_the_scalar_view_draws_every_entry_steps_and_toggles_back(page, live_server):
    vector = trace(LECTURE)
    scalar = trace(LECTURE, view="scalar")
    assert len(scalar.nodes) == 54
    open_page(page, live_server, LECTURE)
    assert page.get_attribute(VECTOR, "aria-pressed") == "true"
    page.click(SCALAR)
    wait_for_nodes(page, len(scalar.nodes))
    assert page.get_attribute(SCALAR, "aria-pressed") == "true"
    n = len(scalar.steps)
    assert page.inner_text("#counter") == f"step 0 of {n} · forward"
    # the focus is on the toggle: → still steps the graph, it does not switch views
    for k in range(1, 4):
        page.keyboard.press("ArrowRight")
        assert current_id(page) == scalar.steps[k - 1].node
    assert page.inner_text("#counter") == f"step 3 of {n} · forward"
    assert f"step 3 of {n}" in page.text_content("#panel")
    page.wait_for_function("() => location.search.includes('view=scalar')")
    page.click(VECTOR)
    wait_for_nodes(page, len(vector.nodes))
    assert page.inner_text("#counter") == f"step 0 of {len(vector.steps)} · forward"
    page.wait_for_function("() => !location.search.includes('view=')")


def test_the_scalar_view_is_kept_in_the_url_and_exported_as_shown(page, live_server):
    open_page(page, live_server, LECTURE, view="scalar", step=5)
    wait_for_nodes(page, 54)
    assert page.inner_text("#counter").startswith("step 5 of 108")
    # the variables table still edits the vector variables
    names = page.eval_on_selector_all("#vars-table tbody th", "ths => ths.map(t => t.textContent)")
    assert sorted(names) == sorted(trace(LECTURE).variables)
    with page.expect_download() as download:
        page.click('.exports button[data-format="svg"]')
    svg = download.value.path().read_text()
    assert len(re.findall(r'class="node', svg)) == 54
    assert "W₁₁" in svg


def test_an_edit_in_the_scalar_view_keeps_the_scalar_view(page, live_server):
    open_page(page, live_server, "out = (x + y) * z", view="scalar")
    page.fill('#vars-table textarea[aria-label^="value of x,"]', "7")
    page.click("#render")
    expected = trace("out = (x + y) * z", {"x": {"value": 7}}, view="scalar")
    page.wait_for_function(f"() => document.querySelector('#parsed .output-value').textContent"
                           f" === {json.dumps(numbers.number(expected.value))}")
    assert page.evaluate(NODES) == len(expected.nodes)
    assert page.get_attribute(SCALAR, "aria-pressed") == "true"


def test_the_scalar_views_last_step_shows_its_gradient_check(page, live_server):
    # the check gives some entries of the 2-layer net one direction: a number, not an array
    scalar = trace(NET.expression, NET.variables, NET.f, NET.seed, view="scalar")
    assert {c.method for c in scalar.gradient_check.variables.values()} >= {"direction"}
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, live_server, NET.expression, NET.variables, f=NET.f, seed=NET.seed,
              view="scalar")
    wait_for_nodes(page, len(scalar.nodes))
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('#panel').textContent"
                           ".includes('Gradient check')")
    assert errors == []


def test_the_toggle_is_disabled_with_the_reason_on_a_big_expression(page, live_server):
    big = {"W": {"shape": [20, 20]}}
    count = trace(LECTURE, big).scalar_nodes
    assert count > limits.MAX_SCALAR_NODES
    # asked for in the URL, refused: the vector graph is drawn and the toggle says why
    open_page(page, live_server, LECTURE, big, view="scalar")
    assert page.is_disabled(SCALAR)
    reason = (f"the scalar view would have {count:,} nodes; it is drawn up to "
              f"{limits.MAX_SCALAR_NODES}")
    assert page.get_attribute(SCALAR, "title") == reason
    assert page.inner_text("#view-note") == f"({count:,} nodes > {limits.MAX_SCALAR_NODES})"
    assert page.get_attribute(VECTOR, "aria-pressed") == "true"
    assert page.evaluate(NODES) == len(trace(LECTURE, big).nodes)


# ------------------------------------------------------------------ training

def test_the_default_parameters_follow_the_stated_rule(page, live_server):
    open_net(page, live_server)
    ticked = page.eval_on_selector_all(
        "#train-params input", "boxes => Object.fromEntries(boxes.map(b => [b.value, b.checked]))")
    assert ticked == {name: name not in training.INPUTS_AND_TARGETS
                      for name in trace(NET.expression, NET.variables, NET.f).variables}
    rule = page.inner_text("#training .help")
    assert "except the inputs and targets named x, X, y, Y, t, T" in rule


def test_update_takes_the_step_training_update_takes(page, live_server):
    open_net(page, live_server)
    page.click("#update")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    step = training.update(NET.expression, NET.variables, NET.f, NET.seed, eta=0.1)
    assert step.after < step.before
    assert page.inner_text("#train-result .before") == numbers.number(step.before)
    assert page.inner_text("#train-result .after") == numbers.number(step.after)
    assert header_value(page) == numbers.number(step.after)
    # the table shows the new values; x and y, not parameters, are as they were
    w1 = page.input_value('#vars-table textarea[aria-label^="value of W1,"]')
    assert [float(v) for v in w1.split()] == step.values["W1"].ravel().tolist()
    assert page.input_value('#vars-table textarea[aria-label^="value of x,"]').split() == [
        "1", "-1", "0.5"]
    assert page.locator("#loss-figure").is_hidden()


def test_train_draws_a_falling_loss_curve_and_loads_where_it_ends(page, live_server):
    open_net(page, live_server)
    page.fill("#train-k", "20")
    page.click("#train")
    page.wait_for_selector("#loss-figure:not([hidden]) svg polyline")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    run = training.train(NET.expression, NET.variables, NET.f, NET.seed, eta=0.1, steps=20)
    line = page.locator("#loss-figure polyline")
    assert line.get_attribute("data-points") == "21"
    ys = [float(p.split(",")[1]) for p in line.get_attribute("points").split()]
    assert len(ys) == 21
    # the loss falls at every step: down the plot is up the page's y
    assert all(a > b for a, b in zip(run.losses, run.losses[1:], strict=False))
    assert all(a < b for a, b in zip(ys, ys[1:], strict=False))
    plot = page.locator("#loss-figure svg")
    assert plot.get_attribute("role") == "img"
    assert plot.get_attribute("aria-label") == (
        f"Loss curve: J from {numbers.number(run.losses[0])} at step 0 to "
        f"{numbers.number(run.losses[-1])} at step 20")
    assert header_value(page) == numbers.number(run.losses[-1])
    # axes with ticks in the page's number format, and no inline style
    ticks = page.eval_on_selector_all("#loss-figure text.tick", "ts => ts.map(t => t.textContent)")
    assert {"0", "20"} <= set(ticks) and len(ticks) >= 6
    assert page.locator("#loss-figure [style]").count() == 0


def test_an_unticked_parameter_stays_as_it_was(page, live_server):
    open_net(page, live_server)
    before = page.input_value('#vars-table textarea[aria-label^="value of W1,"]')
    page.uncheck('#train-params input[value="W1"]')
    page.click("#update")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    expected = training.update(NET.expression, NET.variables, NET.f, NET.seed, eta=0.1,
                               parameters=["b1", "W2", "b2"])
    assert header_value(page) == numbers.number(expected.after)
    assert page.input_value('#vars-table textarea[aria-label^="value of W1,"]') == before


def test_training_in_the_scalar_view_updates_the_vector_variables(page, live_server):
    open_page(page, live_server, LECTURE, view="scalar")
    wait_for_nodes(page, 54)
    page.click("#update")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    step = training.update(LECTURE)
    assert header_value(page) == numbers.number(step.after)
    assert page.evaluate(NODES) == 54


def test_a_refused_training_names_the_limit(page, live_server):
    open_net(page, live_server)
    page.fill("#train-k", str(limits.MAX_TRAIN_STEPS + 1))
    page.click("#train")
    page.wait_for_selector("#train-error:not([hidden])")
    assert "MAX_TRAIN_STEPS" in page.inner_text("#train-error")
    assert page.get_attribute("#train-error", "role") == "alert"


def test_a_loss_that_is_not_finite_stops_training_and_says_so(page, live_server):
    open_page(page, live_server, "s = w * w", {"w": {"value": 1}})
    page.fill("#eta", "1e200")
    page.fill("#train-k", "5")
    page.click("#train")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    assert "training stopped after 1 of 5 steps: the loss s is Infinity" in page.inner_text(
        "#train-result")
    assert header_value(page) == "∞"


# ------------------------------------------------------------------ on a data set (issue 17)

SPIRAL = BY_ID["spiral"]
DONE = "() => !document.querySelector('#step-batch').disabled"


def open_spiral(page, base: str) -> None:
    page.goto(base + "/")
    page.wait_for_selector("#graph svg g.node")
    page.click('button[data-preset="spiral"]')
    page.wait_for_function("() => document.querySelector('#train-k').value === "
                           f"'{SPIRAL.training['steps']}'")
    page.wait_for_function(f"() => ({NODES})() === {len(trace(*spiral_args()).nodes)}")


def spiral_args() -> tuple:
    return SPIRAL.expression, SPIRAL.variables, SPIRAL.f, SPIRAL.seed


def test_the_spiral_preset_trains_draws_the_boundary_and_steps_through_its_batch(
        page, live_server):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_spiral(page, live_server)
    assert page.input_value("#batch-size") == "30" and page.input_value("#eta") == "0.5"
    assert page.input_value("#data-name") == "spiral" and page.is_disabled("#step-batch")
    page.click("#train-data-run")
    page.wait_for_function(DONE, timeout=60_000)
    expected = sgd.fit(SPIRAL.expression, shapes(), SPIRAL.f, SPIRAL.seed, **SPIRAL.training)
    # the chunks the page asked for give the one request's curve and accuracy
    assert page.inner_text("#train-progress-text") == (
        f"step 300 of 300 · train accuracy {100 * expected.accuracy:.1f} %")
    assert page.inner_text("#train-result .accuracy") == f"{100 * expected.accuracy:.1f} %"
    assert expected.accuracy >= 0.9
    line = page.locator("#accuracy-figure polyline")
    assert line.get_attribute("data-points") == "300"
    ys = [float(p.split(",")[1]) for p in line.get_attribute("points").split()]
    assert ys[-1] < ys[0], "the accuracy rises: up the page"
    assert page.locator("#loss-figure polyline").get_attribute("data-points") == "300"
    # the boundary: every class's region, the 300 points coloured and shaped by class
    regions = page.eval_on_selector_all(
        "#boundary-figure rect.region", "rs => [...new Set(rs.map(r => r.dataset.class))]")
    assert sorted(regions) == ["0", "1", "2"]
    assert page.locator("#boundary-figure .points > *").count() == 300
    assert page.locator("#boundary-figure .point.cls-2").count() == 100
    assert page.locator("#boundary-figure polygon.point").count() == 100   # class 2: ▲
    assert page.locator("#training [style]").count() == 0
    # step through the next batch: its 30 rows as X, at the parameters training ended at
    page.click("#step-batch")
    batch = expected.batch
    values = {**{n: {"value": v.tolist()} for n, v in expected.values.items()},
              **{n: {"value": v.tolist()} for n, v in batch.items()}}
    shown = trace(SPIRAL.expression, values, SPIRAL.f, SPIRAL.seed)
    page.wait_for_function(f"() => document.querySelector('#parsed .output-value')?.textContent"
                           f" === {json.dumps(numbers.number(shown.value))}")
    assert page.inner_text("#counter").startswith(f"step 0 of {len(shown.steps)}")
    # the biases' rows repeated over the batch's 30 rows, drawn as their repeat nodes
    repeats = sorted(n.shape for n in shown.nodes if n.op == "repeat")
    assert repeats == [(30, 3), (30, 50)]
    assert page.evaluate(NODES) == len(shown.nodes)
    page.keyboard.press("End")
    assert page.inner_text("#counter").startswith(f"step {len(shown.steps)} of")
    x = page.input_value('#vars-table textarea[aria-label^="value of X,"]').split("\n")
    assert len(x) == 30
    assert [float(v) for v in x[0].replace(",", " ").split()] == batch["X"][0].tolist()
    assert errors == []


def shapes() -> dict:
    return {n: {"shape": list(map(len, (v["value"], v["value"][0])))}
            for n, v in SPIRAL.variables.items() if n not in ("X", "Y")}


def test_stop_ends_training_early_and_keeps_what_it_drew(page, live_server):
    open_spiral(page, live_server)
    page.fill("#train-k", "1000")
    page.fill("#batch-size", "300")
    page.click("#train-data-run")
    page.wait_for_function("() => document.querySelector('#accuracy-figure polyline')")
    page.click("#train-stop")
    page.wait_for_function(DONE, timeout=60_000)
    done = int(page.locator("#accuracy-figure polyline").get_attribute("data-points"))
    assert 0 < done < 1000
    assert page.inner_text("#train-progress-text").startswith(f"step {done} of 1000")
    assert page.locator("#boundary-figure rect.region").count() > 0


def test_a_bad_csv_says_which_rows_are_bad(page, live_server, tmp_path):
    open_spiral(page, live_server)
    page.select_option("#data-name", "csv")
    assert page.locator("#data-classes").is_hidden() and page.locator("#data-file").is_visible()
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,a\n1,two,b\n3,4\n")
    page.set_input_files("#data-file", str(bad))
    page.wait_for_timeout(100)
    page.click("#train-data-run")
    page.wait_for_selector("#train-error:not([hidden])")
    assert ("the CSV has 2 bad rows: line 3: x2 is 'two', not a finite number; line 4: 2 "
            "fields, but the header has 3") in page.inner_text("#train-error")
