"""The page in a real Chromium, through real Nginx, against the real gateway and inference."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import CONTENT
from tests.images_factory import jpeg

from .conftest import UI, Backend

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHICAGO = CONTENT / "chicago.jpg"  # 712 x 474


def px(width: int, height: int) -> str:
    """The pixel-size text the page shows: width, multiplication sign, height, "px"."""
    return f"{width} \u00d7 {height} px"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def result_size(page: Any) -> tuple[int, int]:
    img = page.locator("#result-img")
    expect(page.locator("#result")).to_be_visible()
    page.wait_for_function("() => { const i = document.getElementById('result-img');"
                           " return i.complete && i.naturalWidth > 0; }")
    width, height = img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    return width, height


def stylize(page: Any) -> dict:
    """Press Stylize and return the API's JSON answer."""
    with page.expect_response(lambda r: r.url.endswith("/api/stylize")) as response:
        page.get_by_role("button", name="Stylize").click()
    assert response.value.status == 200, response.value.text()
    return response.value.json()


def page_width(page: Any) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_choose_style_stylize_download_and_rate(ui: UI, backend: Backend,
                                                tmp_path: Path) -> None:
    page = ui.page
    wave = page.get_by_role("radio", name="The Great Wave (Hokusai)")
    udnie = page.get_by_role("radio", name="Udnie (Picabia)")
    expect(wave).to_be_checked()
    # Every style shows its painting.
    page.wait_for_function("() => [...document.querySelectorAll('.model-card img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    ui.shot("01-start")

    page.get_by_text("Udnie (Picabia)").click()
    expect(udnie).to_be_checked()
    expect(page.locator(".model-card", has=udnie)).to_contain_text("v2")

    page.set_input_files("#file-input", CHICAGO)
    expect(page.locator("#preview-size")).to_contain_text(px(712, 474))
    expect(page.locator("#preview-name")).to_have_text("chicago.jpg")
    ui.shot("02-photo-chosen")

    # Hold the real request in the browser for a moment to see the working state.
    held: list[Any] = []
    page.route("**/api/stylize", lambda route: held.append(route))
    with page.expect_response(lambda r: r.url.endswith("/api/stylize")) as response:
        page.get_by_role("button", name="Stylize").click()
        button = page.locator("#stylize-button")
        expect(button).to_have_class(re.compile(r"\bworking\b"))
        expect(button).to_be_disabled()
        # The elapsed time ticks (the assertion polls until a full second has passed).
        expect(button).to_have_text(re.compile(r"Stylizing…\s+[1-9]\d*\.\d s"))
        expect(button).to_have_accessible_name("Stylizing…")  # the seconds are not read out
        ui.shot("03-working")
        assert len(held) == 1
        held[0].continue_()
    page.unroute("**/api/stylize")
    body = response.value.json()
    assert (body["model"], body["version"]) == ("model2", "v2")
    assert (body["width"], body["height"]) == (712, 474)

    assert result_size(page) == (712, 474)
    expect(page.locator("#result-original")).to_have_js_property("naturalWidth", 712)
    expect(page.locator("#result-meta")).to_contain_text("version v2")
    ui.shot("04-result")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PNG").click()
    download = download_info.value
    assert download.suggested_filename == "chicago-udnie.png"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    png = saved.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(png)).size == (712, 474)
    stored = backend.storage / "output_images" / f"{body['request_id']}.png"
    assert png == stored.read_bytes()

    send = page.get_by_role("button", name="Send rating")
    expect(send).to_be_disabled()  # nothing chosen yet
    page.locator("label[for=rating-good]").click()
    expect(page.get_by_role("radio", name="Good")).to_be_checked()
    page.get_by_role("textbox", name="Comment").fill("lovely brush strokes")
    send.click()
    expect(page.locator("#feedback-status")).to_have_text("Thank you! Your rating was saved.")
    ui.shot("05-rated")

    lines = (backend.storage / "feedback.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    mine = [r for r in records if r["request_id"] == body["request_id"]]
    assert len(mine) == 1
    assert {k: mine[0][k] for k in ("model", "version", "rating", "comment")} == {
        "model": "model2", "version": "v2", "rating": "good",
        "comment": "lovely brush strokes"}
    assert ui.problems == []


def test_keyboard_only_with_strength_and_keep_colours(ui: UI, backend: Backend) -> None:
    page = ui.page
    keyboard = page.keyboard
    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_role("radio", name="The Great Wave (Hokusai)")).to_be_focused()
    keyboard.press("ArrowRight")
    udnie = page.get_by_role("radio", name="Udnie (Picabia)")
    expect(udnie).to_be_focused()
    expect(udnie).to_be_checked()

    keyboard.press("Tab")
    file_input = page.get_by_label(re.compile("Drop a photo here"))
    expect(file_input).to_be_focused()
    with page.expect_file_chooser() as chooser:
        keyboard.press("Enter")
    chooser.value.set_files(CHICAGO)
    expect(page.locator("#preview-size")).to_contain_text(px(712, 474))

    keyboard.press("Tab")
    strength = page.get_by_role("slider", name="Style strength")
    expect(strength).to_be_focused()
    for _ in range(10):  # step 0.05: 1.0 -> 0.5
        keyboard.press("ArrowLeft")
    expect(page.locator("#strength-value")).to_have_text("50%")

    keyboard.press("Tab")
    keep = page.get_by_role("checkbox", name="Keep original colours")
    expect(keep).to_be_focused()
    keyboard.press("Space")
    expect(keep).to_be_checked()

    keyboard.press("Tab")
    expect(page.get_by_role("button", name="Stylize")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/api/stylize")) as response:
        keyboard.press("Enter")
    body = response.value.json()
    assert body["strength"] == pytest.approx(0.5)
    assert body["preserve_colors"] is True
    assert (body["model"], body["version"]) == ("model2", "v2")
    # The gateway's saved record says the same.
    record = json.loads(
        (backend.storage / "output_images" / f"{body['request_id']}.json").read_text())
    assert record["strength"] == pytest.approx(0.5) and record["preserve_colors"] is True

    assert result_size(page) == (712, 474)
    # Focus moves to the result, and from there the rest is reachable by keyboard too.
    expect(page.get_by_role("heading", name="Result")).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Download PNG")).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Good")).to_be_focused()
    ui.shot("06-keyboard-result")
    assert ui.problems == []


def test_bad_files_are_explained_and_the_page_keeps_working(ui: UI) -> None:
    page = ui.page
    alert = page.get_by_role("alert")
    stylize_button = page.get_by_role("button", name="Stylize")

    page.set_input_files("#file-input", files=[
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo at all"}])
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("“notes.txt”")
    expect(alert).to_contain_text("JPEG, PNG or WebP")
    expect(stylize_button).to_be_disabled()
    ui.shot("07-error-text-file")

    # Text dressed up as a JPEG: the browser cannot decode it, so it is never uploaded.
    page.set_input_files("#file-input", files=[
        {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"definitely not a jpeg"}])
    expect(alert).to_contain_text("could not be read as an image")
    expect(stylize_button).to_be_disabled()

    # A real photo the gateway refuses (over its pixel cap): the API's reason, in words.
    page.set_input_files("#file-input", files=[
        {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 1000)}])
    expect(alert).to_be_hidden()
    expect(page.locator("#preview-size")).to_contain_text(px(1200, 1000))
    with page.expect_response(lambda r: r.url.endswith("/api/stylize")) as response:
        stylize_button.click()
    assert response.value.status == 413
    expect(alert).to_contain_text("This photo is too large")
    expect(alert).to_contain_text("1200x1000")
    expect(stylize_button).to_be_enabled()
    ui.shot("08-error-api")

    page.get_by_role("button", name="Dismiss message").click()
    expect(alert).to_be_hidden()
    page.set_input_files("#file-input", CHICAGO)
    body = stylize(page)
    assert (body["width"], body["height"]) == (712, 474)
    assert result_size(page) == (712, 474)
    expect(alert).to_be_hidden()


def test_style_whose_service_is_down_is_marked_and_explained(ui: UI) -> None:
    page = ui.page
    scream = page.get_by_role("radio", name="The Scream (Munch)")
    card = page.locator(".model-card", has=scream)
    expect(card).to_contain_text("not responding")
    expect(page.get_by_role("radio", name="The Great Wave (Hokusai)")).to_be_checked()

    card.click()
    expect(scream).to_be_checked()
    page.set_input_files("#file-input", CHICAGO)
    with page.expect_response(lambda r: r.url.endswith("/api/stylize")) as response:
        page.get_by_role("button", name="Stylize").click()
    assert response.value.status in (502, 503)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The style service is not available right now")
    expect(alert).to_contain_text("unreachable")
    ui.shot("12-error-style-down")

    page.get_by_text("The Great Wave (Hokusai)").click()
    assert stylize(page)["model"] == "model1"
    assert result_size(page) == (712, 474)


def test_drag_and_drop_a_photo(ui: UI) -> None:
    page = ui.page
    data = base64.b64encode(CHICAGO.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: "image/jpeg" }));
            return dt;
        }""",
        [data, "chicago.jpg"],
    )
    zone = page.locator("#dropzone")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bdragging\b"))
    ui.shot("09-dragging")
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bdragging\b"))
    expect(page.locator("#preview-size")).to_contain_text(px(712, 474))
    expect(page.get_by_role("button", name="Stylize")).to_be_enabled()


def test_mobile_width_has_no_horizontal_scroll(mobile_ui: UI) -> None:
    page = mobile_ui.page
    assert page_width(page) <= 375
    mobile_ui.shot("10-mobile-start")
    page.set_input_files("#file-input", CHICAGO)
    expect(page.locator("#preview-size")).to_contain_text(px(712, 474))
    assert page_width(page) <= 375
    stylize(page)
    assert result_size(page) == (712, 474)
    assert page_width(page) <= 375
    mobile_ui.shot("11-mobile-result")
    # The side-by-side comparison stacks: each picture fits the screen.
    boxes = [page.locator(sel).bounding_box() for sel in ("#result-original", "#result-img")]
    assert all(box and box["x"] >= 0 and box["x"] + box["width"] <= 375 for box in boxes)
    assert mobile_ui.problems == []
