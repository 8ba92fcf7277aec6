"""At the front desk, a venue owner checks a customer in by holding the booking's QR code up to
the camera (Chromium's fake camera plays a video of the code), and is told plainly when a typed
code is wrong."""

from __future__ import annotations

import uuid
from pathlib import Path

import segno
from PIL import Image
from playwright.sync_api import Playwright, expect

from e2e.conftest import CHROMIUM_ARGS, seed_venues, sign_in, watch

PASSWORD = "lantern-desk-harbour-2026"


def qr_video(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """A short YUV4MPEG2 video (what Chromium's fake camera plays) of a QR code on white."""
    code = segno.make_qr(text, error="m")
    picture = Image.new("RGB", (width, height), "white")
    scale = max(1, (min(width, height) - 40) // code.symbol_size(border=4)[0])
    rows = [[0 if dark else 255 for dark in row] for row in code.matrix_iter(scale=scale, border=4)]
    image = Image.new("L", (len(rows[0]), len(rows)))
    image.putdata([value for row in rows for value in row])
    image = image.convert("RGB")
    picture.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    y, cb, cr = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return path


def test_the_desk_scans_a_booking_code_with_the_camera(playwright: Playwright, live_server, unique_email, tmp_path):
    tag = uuid.uuid4().hex[:6]
    owner = {"email": unique_email("desk"), "name": "Dana Desk"}
    customer = {"email": unique_email("arriving"), "name": "Ari Arrives"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Desk Rooms {tag}",
                    "address": "3 Fern Lane",
                    "city": "London",
                    "postcode": "N1 1AA",
                    "country": "GB",
                    "latitude": 51.53,
                    "longitude": -0.1,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": [],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 0}],  # today
                }
            ],
        },
    )
    (reference,) = venue["visits"]
    video = qr_video(reference, tmp_path / "code.y4m")

    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(base_url=live_server.url)
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        errors = watch(page)
        sign_in(page, owner["email"], PASSWORD, "Dana")
        page.goto("/provider/calendar")
        page.get_by_role("link", name="Check in").click()
        expect(page.get_by_role("heading", level=1, name="Check in")).to_be_visible()

        # A typed code that is not one of ours is refused, and says why beside the field (the
        # refusal's panel is swapped in: static/js/app.js, data-swap-errors).
        page.get_by_role("textbox", name="Booking code").fill("hello")
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("#check-in-feedback")).to_contain_text("That isn't a CozyWish booking code.")
        expect(page.get_by_role("textbox", name="Booking code")).to_have_value("hello")

        # The camera reads the code on the customer's phone and checks them in.
        page.get_by_role("button", name="Start camera").click()
        result = page.locator("[data-check-in-result]")
        expect(result).to_contain_text("Checked in", timeout=20_000)
        expect(result).to_contain_text("Ari Arrives")
        expect(result).to_contain_text(reference)
        checked = page.locator("#today-heading + ul")
        expect(checked).to_contain_text("Ari Arrives")
        page.get_by_role("button", name="Stop camera").click()
        expect(page.get_by_text("Camera off.")).to_be_visible()
        # The deliberate refusal's 422 ("Failed to load resource") is the only browser error.
        errors.console[:] = [(text, url) for text, url in errors.console if not ("422" in text and "/check-in" in url)]
        errors.assert_none()
    finally:
        browser.close()
