"""The profile page: name, phone, photo, password and email address."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from tests.accounts.conftest import link_in, text_of
from tests.factories import PASSWORD

PROFILE = "/account/profile"
NEW_PASSWORD = "harbour-juniper-quartz-19"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (400, 300), **save_options) -> bytes:
    """A real image with some texture, made in memory."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt, **save_options)
    return out.getvalue()


def upload(web, data: bytes, filename: str, **fields):
    form = {"name": "Chloe Customer", "phone": "", "avatar": (io.BytesIO(data), filename)}
    form.update(fields)
    return web.post(PROFILE, form, content_type="multipart/form-data")


@pytest.fixture
def signed_in(web, customer):
    web.sign_in_as(customer)
    return customer


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", PROFILE),
        ("post", PROFILE),
        ("post", "/account/password"),
        ("post", "/account/email"),
    ],
)
def test_anonymous_user_is_sent_to_sign_in(web, method, path):
    response = web.get(path) if method == "get" else web.post(path, {})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?next=")


def test_profile_page_shows_the_user(web, signed_in):
    response = web.get(PROFILE)

    assert response.status_code == 200
    assert signed_in.email in text_of(response)
    assert 'value="Chloe Customer"' in response.get_data(as_text=True)


def test_update_name_and_phone(web, signed_in, store):
    response = web.post(PROFILE, {"name": "  Chloe Renamed ", "phone": "+44 (0)20 7946-0958"})

    assert response.status_code == 302
    assert response.headers["Location"] == PROFILE
    user = store.reload(signed_in)
    assert user.name == "Chloe Renamed"
    assert user.phone == "+44 (0)20 7946-0958"
    assert "Your profile is saved." in text_of(web.get(PROFILE))


def test_clearing_the_phone_stores_nothing(web, signed_in, store):
    store.update(signed_in, phone="+1 555 0100")

    web.post(PROFILE, {"name": "Chloe Customer", "phone": ""})

    assert store.reload(signed_in).phone is None


@pytest.mark.parametrize("phone", ["call me maybe", "12", "+1 555 0100 ext. 5", "0" * 40])
def test_bad_phone_is_refused_and_changes_nothing(web, signed_in, store, phone):
    response = web.post(PROFILE, {"name": "Someone Else", "phone": phone})

    assert response.status_code == 422
    assert "Use digits" in text_of(response) or "Field cannot be longer" in text_of(response)
    user = store.reload(signed_in)
    assert (user.name, user.phone) == ("Chloe Customer", None)


@pytest.mark.parametrize("name", ["", "   ", "N" * 121])
def test_bad_name_is_refused_and_changes_nothing(web, signed_in, store, name):
    response = web.post(PROFILE, {"name": name, "phone": "+1 555 0100"})

    assert response.status_code == 422
    user = store.reload(signed_in)
    assert (user.name, user.phone) == ("Chloe Customer", None)


def test_profile_update_without_csrf_token_is_refused(web, signed_in, store):
    response = web.post(PROFILE, {"name": "Someone Else"}, csrf=False)

    assert response.status_code == 400
    assert store.reload(signed_in).name == "Chloe Customer"


def test_png_avatar_becomes_a_stored_webp(app, web, signed_in, store):
    response = upload(web, image_bytes("PNG"), "me.png")

    assert response.status_code == 302
    key = store.reload(signed_in).avatar_key
    assert key.startswith("avatars/")
    assert key.endswith(".webp")
    storage = app.extensions["storage"]
    assert storage.exists(key)
    stored = Image.open(io.BytesIO(storage.open(key)))
    assert stored.format == "WEBP"
    assert stored.size == (256, 256)


def test_avatar_is_served_as_an_immutable_webp(web, signed_in, store):
    upload(web, image_bytes("PNG"), "me.png")
    key = store.reload(signed_in).avatar_key

    response = web.get(f"/media/{key}")

    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.data)).format == "WEBP"
    assert f'src="/media/{key}"' in web.get(PROFILE).get_data(as_text=True)


def test_avatar_drops_photo_metadata(app, web, signed_in, store):
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Co"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    upload(web, image_bytes("JPEG", exif=exif.tobytes()), "holiday.jpg")

    stored = Image.open(io.BytesIO(app.extensions["storage"].open(store.reload(signed_in).avatar_key)))

    assert not stored.info.get("exif")
    assert not stored.getexif()


def test_new_avatar_replaces_and_deletes_the_old_one(app, web, signed_in, store):
    upload(web, image_bytes("PNG"), "first.png")
    first = store.reload(signed_in).avatar_key

    upload(web, image_bytes("WEBP"), "second.webp")

    second = store.reload(signed_in).avatar_key
    assert second != first
    storage = app.extensions["storage"]
    assert storage.exists(second)
    assert not storage.exists(first)


def _svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some text, not a picture", "fake.png", "not an image we can read"),
        (_svg(), "drawing.svg", "not an image we can read"),
        (image_bytes("GIF"), "moving.gif", "Upload a JPEG, PNG or WebP image."),
        (b"", "empty.png", "The file is empty."),
        (image_bytes("PNG")[:200], "truncated.png", "damaged"),
    ],
)
def test_unacceptable_avatar_is_refused_and_changes_nothing(app, web, signed_in, store, data, filename, message):
    upload(web, image_bytes("PNG"), "before.png")
    before = store.reload(signed_in).avatar_key

    response = upload(web, data, filename, name="Renamed Along The Way")

    user = store.reload(signed_in)
    assert response.status_code == 422
    assert message in text_of(response)
    assert user.avatar_key == before
    assert user.name == "Chloe Customer"
    assert app.extensions["storage"].exists(before)


def test_profile_form_without_a_photo_keeps_the_photo(web, signed_in, store):
    upload(web, image_bytes("PNG"), "before.png")
    before = store.reload(signed_in).avatar_key

    response = web.post(PROFILE, {"name": "Chloe Renamed", "phone": "", "avatar": (io.BytesIO(b""), "")})

    assert response.status_code == 302
    user = store.reload(signed_in)
    assert (user.name, user.avatar_key) == ("Chloe Renamed", before)


def test_oversized_avatar_is_refused(app, web, signed_in, store, monkeypatch):
    data = image_bytes("PNG")
    monkeypatch.setitem(app.config, "AVATAR_MAX_BYTES", len(data) - 1)

    response = upload(web, data, "big.png")

    assert response.status_code == 422
    assert "larger than" in text_of(response)
    assert store.reload(signed_in).avatar_key is None


def test_image_with_too_many_pixels_is_refused(app, web, signed_in, store, monkeypatch):
    monkeypatch.setitem(app.config, "AVATAR_MAX_PIXELS", 100 * 100)

    response = upload(web, image_bytes("PNG", size=(101, 100)), "wide.png")

    assert response.status_code == 422
    assert "too many pixels" in text_of(response)
    assert store.reload(signed_in).avatar_key is None


@pytest.mark.parametrize("key", ["avatars/missing.webp", "avatars/../../etc/passwd.png", "avatars/x.html"])
def test_unknown_media_is_not_found(web, key):
    assert web.get(f"/media/{key}").status_code == 404


def test_change_password(web, signed_in, store, mail):
    response = web.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 302
    assert store.reload(signed_in).check_password(NEW_PASSWORD)
    assert [m.subject for m in mail(signed_in.email)] == ["Your password was changed"]


def test_change_password_with_wrong_current_password_is_refused(web, signed_in, store, mail):
    response = web.post("/account/password", {"current_password": "not-my-password-1", "new_password": NEW_PASSWORD})

    assert response.status_code == 422
    assert "Your current password is not right." in text_of(response)
    assert store.reload(signed_in).check_password(PASSWORD)
    assert mail(signed_in.email) == []


@pytest.mark.parametrize("new_password", ["short-one", "password1234", ""])
def test_change_to_a_weak_password_is_refused(web, signed_in, store, new_password):
    response = web.post("/account/password", {"current_password": PASSWORD, "new_password": new_password})

    assert response.status_code == 422
    assert store.reload(signed_in).check_password(PASSWORD)


def _request_email_change(web, new_email: str, password: str = PASSWORD):
    return web.post("/account/email", {"new_email": new_email, "current_password": password})


def test_change_email_sends_a_link_to_the_new_address(web, signed_in, store, mail):
    response = _request_email_change(web, "chloe.new@example.com")

    assert response.status_code == 302
    assert store.reload(signed_in).email == signed_in.email  # not yet
    (confirm,) = mail("chloe.new@example.com")
    assert confirm.subject == "Confirm your new email address"
    assert link_in(confirm, "/account/email/confirm/")
    (notice,) = mail(signed_in.email)
    assert notice.subject == "Your email address is being changed"


def test_confirming_the_link_changes_the_email(web, signed_in, store, mail, sign_in, new_browser):
    _request_email_change(web, "Chloe.New@Example.com")
    link = link_in(mail("chloe.new@example.com")[0], "/account/email/confirm/")

    response = web.get(link)

    assert response.status_code == 302
    assert response.headers["Location"] == PROFILE
    user = store.reload(signed_in)
    assert user.email == "chloe.new@example.com"
    assert user.is_verified
    assert sign_in("chloe.new@example.com", browser=new_browser()).status_code == 302


def test_confirming_when_the_address_was_taken_meanwhile_conflicts(web, signed_in, store, mail, make_user):
    _request_email_change(web, "wanted@example.com")
    link = link_in(mail("wanted@example.com")[0], "/account/email/confirm/")
    make_user(email="wanted@example.com")

    response = web.get(link)

    assert response.status_code == 409
    assert "belongs to another account" in text_of(response)
    assert store.reload(signed_in).email == signed_in.email


def test_email_change_link_works_once(web, signed_in, store, mail):
    _request_email_change(web, "chloe.new@example.com")
    link = link_in(mail("chloe.new@example.com")[0], "/account/email/confirm/")
    web.get(link)

    assert web.get(link).status_code == 400
    assert store.reload(signed_in).email == "chloe.new@example.com"


def test_tampered_email_change_link_is_refused(web, signed_in, store, mail):
    _request_email_change(web, "chloe.new@example.com")
    link = link_in(mail("chloe.new@example.com")[0], "/account/email/confirm/")

    assert web.get(link[:-4] + "AAAA").status_code == 400
    assert store.reload(signed_in).email == signed_in.email


def test_change_email_with_wrong_password_is_refused(web, signed_in, mail, outbox):
    response = _request_email_change(web, "chloe.new@example.com", password="not-my-password-1")

    assert response.status_code == 422
    assert "Your current password is not right." in text_of(response)
    mail(signed_in.email)
    assert outbox == []


@pytest.mark.parametrize(("new_email", "message"), [("not-an-email", "Enter a valid email"), (None, "already your")])
def test_change_email_to_a_bad_address_is_refused(web, signed_in, mail, outbox, new_email, message):
    response = _request_email_change(web, new_email or signed_in.email.upper())

    assert response.status_code == 422
    assert message in text_of(response)
    mail(signed_in.email)
    assert outbox == []
