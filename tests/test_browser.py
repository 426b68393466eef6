"""The workbook and the review in a real browser (Debian's Chromium through Playwright).

One Voila server and one Chromium for the module. Every expectation is computed here with
``planner`` from the slider values the page shows, never hard-coded, and every move must also
redraw the chart. Screenshots go to ``test-artifacts/`` (gitignored).

Without Chromium, Playwright or Voila these tests skip locally and fail under CI (``CI=true``).
"""

from __future__ import annotations

import os
import re

import pytest

import browser_helpers as bh

ORIGIN_PLAN = bh.ROOT / "data" / "plans" / "origin-case.toml"
ORIGIN = {"layers": 24, "steps": 2700, "batch": 4, "grad_accum": 1, "data_parallel": 1, "seq_len": 2048}


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    missing = bh.missing_prerequisites()
    if missing:
        msg = f"browser tests need {', '.join(missing)}: {bh.INSTALL_HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    bh.ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = bh.launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    server = bh.start_voila(tmp_path_factory.mktemp("voila"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def workbook(browser, voila):
    """The workbook served by Voila, loaded once for the module's tests."""
    # Voila scrolls an inner element, so full-page screenshots stop at the viewport: make it tall
    # enough for the sliders, the readout and the chart.
    page = bh.new_offline_page(browser, viewport=(1400, 2200))
    page.set_default_timeout(30_000)
    try:
        page.goto(voila.url, wait_until="domcontentloaded", timeout=90_000)
        try:
            bh.slider(page, "steps").wait_for(timeout=90_000)
        except Exception as e:
            raise AssertionError(f"the workbook never rendered: {e}\nVoila log:\n{voila.log_tail()}") from e
        bh.settle(page)
        page.screenshot(path=bh.ARTIFACTS / "voila-before.png", full_page=True)
        yield page
        page.screenshot(path=bh.ARTIFACTS / "voila-after.png", full_page=True)
    finally:
        page.close()


def _move(page, action, *args):
    """Do one user action, then wait for the readout planner predicts and for a new chart.

    Returns (state before, slider settings after, planner's expectation, state after).
    """
    before = bh.settle(page)
    digest = bh.image_digest(page)
    action(page, *args)
    settings = bh.page_settings(page)
    want = bh.expected(settings)
    after = bh.wait_for_update(page, want, before["src"])
    assert after["text"] != before["text"], "the readout did not change"
    assert bh.image_digest(page) != digest, "the chart's <img> changed its src but not its PNG"
    return before, settings, want, after


def test_opens_on_the_origin_case(workbook):
    settings = bh.page_settings(workbook)
    assert settings == ORIGIN
    now = bh.state(workbook)
    want = bh.expected(settings)
    assert (now["level"], now["blocked"], now["ratio"]) == (want["level"], want["blocked"], want["ratio"])
    assert (now["level"], now["blocked"], now["ratio"]) == ("SEVERE", True, "0.045")
    assert now["imgWidth"] > 0, "the chart did not load"
    assert workbook.locator("img.widget-image").is_visible()


def test_steps_slider_by_keyboard(workbook):
    before_steps = bh.slider_value(workbook, "steps")
    before, settings, _, after = _move(workbook, bh.press, "steps", "ArrowRight", 3)
    assert settings["steps"] > before_steps
    assert after["ratio"] != before["ratio"]


def test_layers_slider_by_keyboard(workbook):
    before_layers = bh.slider_value(workbook, "layers")
    before, settings, _, after = _move(workbook, bh.press, "layers", "ArrowRight", 2)
    assert settings["layers"] == before_layers + 2
    assert after["ratio"] != before["ratio"]
    workbook.screenshot(path=bh.ARTIFACTS / "voila-after-keyboard.png", full_page=True)


def test_typing_steps_into_the_readout(workbook):
    before, settings, _, after = _move(workbook, bh.type_value, "steps", 100_000)
    assert settings["steps"] == 100_000
    assert after["ratio"] != before["ratio"]


def test_from_blocked_to_compute_optimal_and_back(workbook):
    _move(workbook, bh.type_value, "layers", 24)
    # Through every level: 450,000 steps give D/N ≈ 7.5, past severe but still blocked.
    _, settings, _, after = _move(workbook, bh.type_value, "steps", 450_000)
    assert settings == {**ORIGIN, "steps": 450_000}
    assert (after["level"], after["blocked"]) == ("BLOCKED", True)
    # ceil(20 × 494,032,768 / 8,192) = 1,206,135 steps reach raw 20×, but over 1.24B unique tokens that is ~8
    # epochs and D'/N ≈ 16.6: 20× of effective tokens takes 1,555,931 steps (10.3 epochs).
    _, settings, _, after = _move(workbook, bh.type_value, "steps", 1_206_135)
    assert (after["level"], after["blocked"]) == ("BELOW OPTIMAL", False)
    _, settings, _, after = _move(workbook, bh.type_value, "steps", 1_555_931)
    assert settings == {**ORIGIN, "steps": 1_555_931}
    assert (after["level"], after["blocked"]) == ("COMPUTE-OPTIMAL", False)
    assert bh.state(workbook)["text"].startswith("COMPUTE-OPTIMAL")
    workbook.screenshot(path=bh.ARTIFACTS / "voila-compute-optimal.png", full_page=True)

    _, _, _, after = _move(workbook, bh.type_value, "steps", 1_206_134)
    assert (after["level"], after["blocked"]) == ("BELOW OPTIMAL", False)

    _, settings, _, after = _move(workbook, bh.type_value, "steps", 2700)
    assert settings == ORIGIN
    assert (after["level"], after["blocked"], after["ratio"]) == ("SEVERE", True, "0.045")


def test_review_html_in_the_browser(browser, tmp_path):
    from planner.surfaces.review import render_review

    out = render_review(ORIGIN_PLAN, tmp_path / "review.html")
    page = bh.new_offline_page(browser, allowed_prefix="file://")
    try:
        page.goto(out.resolve().as_uri(), wait_until="load", timeout=30_000)
        page.screenshot(path=bh.ARTIFACTS / "review.png", full_page=True)
        assert page.get_by_text(re.compile(r"SEVERE")).first.is_visible()
        assert page.get_by_text(re.compile(r"SEVERE — blocked")).first.is_visible()
        assert page.get_by_text("2.51× at 1 epoch").first.is_visible()
        images = page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.offsetWidth > 0])")
        assert any(width > 0 and shown for width, shown in images), f"no visible chart: {images}"
        # No code: markdown cells also sit in a .jp-InputArea, so look for code cells' inputs and prompts.
        assert page.locator(".jp-CodeCell .jp-InputArea:visible, .jp-InputPrompt:visible").count() == 0
        assert "import planner" not in page.locator("body").inner_text()
    finally:
        page.close()


def test_jupyterlab_run_all_then_move_a_slider(browser, tmp_path):
    server = bh.start_lab(tmp_path)  # on a copy of the notebook: autosave never touches the original
    page = bh.new_offline_page(browser, viewport=(1400, 1000))
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url + "/lab/tree/what_if.ipynb", wait_until="domcontentloaded", timeout=60_000)
        idle = page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle\s*$"))
        idle.wait_for(timeout=90_000)  # Run All is dropped before the kernel is up
        # The stored outputs show the same text as fresh ones: mark them, then wait for new ones.
        page.evaluate("() => document.querySelectorAll('.jp-OutputArea-output').forEach(e => e.dataset.stale = '1')")
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        # The workbook's fresh widget view: its "steps" slider inside a new output.
        page.locator(".jp-OutputArea-output:not([data-stale]) label.widget-label", has_text=re.compile(r"^steps$")
                     ).first.wait_for(timeout=120_000)
        idle.wait_for(timeout=30_000)
        bh.slider(page, "steps").scroll_into_view_if_needed()
        assert bh.page_settings(page) == ORIGIN
        before, _, _, after = _move(page, bh.press, "steps", "ArrowRight", 2)
        assert after["ratio"] != before["ratio"]
        page.screenshot(path=bh.ARTIFACTS / "jupyterlab.png")
    except BaseException:
        page.screenshot(path=bh.ARTIFACTS / "jupyterlab-failure.png")
        print("JupyterLab log:\n" + server.log_tail())
        raise
    finally:
        page.close()
        server.stop()
