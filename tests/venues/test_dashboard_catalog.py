"""The provider's services, team, FAQs and photos pages (app/venues/views/catalog.py).

Requests go through ``dashboard_web`` (tests/venues/conftest.py): each request has its own
session, as in production, so a failed request's rollback never undoes the test's own setup.
"""

from __future__ import annotations

import html as htmllib
import io
import json
import struct
import threading
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy import text as sql

from app.accounts.models import Role, User
from app.platform.errors import LimitReached
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.catalog_forms import parse_price
from app.venues.images import add_image
from app.venues.lists import add_faq, add_team_member
from app.venues.models import FAQ, MAX_FAQS, MAX_TEAM_MEMBERS, Service, TeamMember, Venue, VenueImage
from app.venues.service import create_venue, save_service
from app.venues.views.catalog import duration_label

BASE = "/provider/venue"
HTMX = {"HX-Request": "true"}


# -- helpers and fixtures ---------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save_kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (120, 80, 200) if mode == "RGB" else 128).save(buf, fmt, **save_kwargs)
    return buf.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's shape)."""
    data = bytearray(image_bytes("PNG", (1, 1), mode="L"))
    ihdr = 8  # after the signature: length(4) type(4) data(13) crc(4)
    struct.pack_into(">II", data, ihdr + 8, width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 8 + 13]))
    struct.pack_into(">I", data, ihdr + 8 + 13, crc)
    return bytes(data)


def upload(data: bytes, filename: str = "photo.png", alt_text: str = "Treatment room with soft lights") -> dict:
    return {"photo": (io.BytesIO(data), filename), "alt_text": alt_text}


def stored_files(app) -> set[Path]:
    return set(Path(app.config["UPLOAD_ROOT"]).rglob("*.webp"))


def service_data(**overrides) -> dict:
    data = {
        "name": "Swedish massage",
        "description": "Full body, medium pressure.",
        "category_id": "",
        "duration_minutes": "60",
        "price": "45.00",
        "capacity": "1",
        "buffer_minutes": "10",
        "is_active": "y",
    }
    data.update(overrides)
    return data


def new_service(venue: Venue, name: str = "Swedish massage", **overrides) -> Service:
    fields = {
        "name": name,
        "description": "",
        "category_id": None,
        "duration_minutes": 60,
        "price_minor": 4500,
        "capacity": 1,
        "buffer_minutes": 0,
        "is_active": True,
    }
    fields.update(overrides)
    return save_service(venue, None, **fields)


def text(response) -> str:
    """The response body with HTML entities decoded, for looking up messages."""
    return htmllib.unescape(response.get_data(as_text=True))


def toasts(response) -> list[str]:
    """The toast messages an HTMX response asks for (HX-Trigger)."""
    return [t["message"] for t in json.loads(response.headers["HX-Trigger"])["cw:toast"]]


def fresh(model, item_id: int):
    """Read a row as it is now (requests use their own sessions)."""
    db.session.expire_all()
    return db.session.get(model, item_id)


def count(model, venue: Venue) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(model.venue_id == venue.id))


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    """The signed-in provider's draft venue."""
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


@pytest.fixture
def stocked(venue) -> dict:
    """The venue with one of everything: a service, a team member with a photo, an FAQ and two photos."""
    service = new_service(venue)
    member = add_team_member(venue, name="Amara", title="Therapist", bio="", service_ids=[service.id])
    member.photo = add_image(venue, image_bytes(), alt_text="Amara smiling", kind="team")
    faq = add_faq(venue, question="Is there parking?", answer="Yes, behind the building.")
    cover = add_image(venue, image_bytes(), alt_text="Front desk")
    second = add_image(venue, image_bytes("JPEG"), alt_text="Treatment room")
    db.session.commit()
    return {"service": service, "member": member, "faq": faq, "cover": cover, "second": second}


# -- access: every route, every role ---------------------------------------------------------------

ROUTES = [
    ("GET", "/services"),
    ("POST", "/services"),
    ("GET", "/services/1"),
    ("POST", "/services/1"),
    ("POST", "/services/1/delete"),
    ("POST", "/services/1/move/up"),
    ("POST", "/services/order"),
    ("POST", "/services/done"),
    ("GET", "/team"),
    ("POST", "/team"),
    ("GET", "/team/1"),
    ("POST", "/team/1"),
    ("POST", "/team/1/delete"),
    ("POST", "/team/1/move/down"),
    ("POST", "/team/order"),
    ("POST", "/team/done"),
    ("GET", "/faqs"),
    ("POST", "/faqs"),
    ("GET", "/faqs/1"),
    ("POST", "/faqs/1"),
    ("POST", "/faqs/1/delete"),
    ("POST", "/faqs/1/move/up"),
    ("POST", "/faqs/order"),
    ("POST", "/faqs/done"),
    ("GET", "/images"),
    ("POST", "/images"),
    ("POST", "/images/1/cover"),
    ("POST", "/images/1/alt"),
    ("POST", "/images/1/delete"),
    ("POST", "/images/1/move/down"),
    ("POST", "/images/order"),
    ("POST", "/images/done"),
]


def send(web, method: str, path: str, data: dict | None = None, **kwargs):
    if method == "GET":
        return web.get(BASE + path, **kwargs)
    return web.post(BASE + path, data or {}, **kwargs)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_each_route_admits_only_a_provider_with_a_venue(web, make_user, method, path):
    anonymous = send(web, method, path)
    assert anonymous.status_code == 302
    assert "/account/sign-in" in anonymous.headers["Location"]

    for role in (Role.CUSTOMER, Role.ADMIN):
        web.sign_in_as(make_user(role=role))
        assert send(web, method, path).status_code == 403, role

    web.sign_in_as(make_user(role=Role.PROVIDER))
    no_venue = send(web, method, path)
    assert no_venue.status_code == 302
    assert no_venue.headers["Location"].endswith("/provider/venue/basics")


@pytest.mark.parametrize("page", ["services", "team", "faqs", "images"])
def test_each_page_loads_for_its_provider(web, venue, page):
    response = web.get(f"{BASE}/{page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Willow Spa" in html
    assert "HX-Request" in response.headers.get("Vary", "")


@pytest.mark.parametrize("page", ["services", "team", "faqs", "images"])
def test_an_htmx_request_for_a_page_gets_only_its_panel(web, venue, page):
    """What "Cancel" on an inline edit loads: the list and form, not a page inside the page."""
    response = web.get(f"{BASE}/{page}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<nav" not in html and "<form" in html


def test_every_inline_edit_also_works_as_a_full_page(web, venue, stocked):
    member, faq, photo = stocked["member"], stocked["faq"], stocked["second"]
    team_page = web.get(f"{BASE}/team/{member.id}").get_data(as_text=True)
    assert (
        "<html" in team_page and f'id="member-{member.id}-name"' in team_page and 'value="Amara smiling"' in team_page
    )
    assert "Remove the current photo" in team_page
    faq_page = web.get(f"{BASE}/faqs/{faq.id}").get_data(as_text=True)
    assert "<html" in faq_page and f'id="faq-{faq.id}-question"' in faq_page
    bad_team = web.post(f"{BASE}/team/{member.id}", {"name": " "})
    assert bad_team.status_code == 422 and "<html" in bad_team.get_data(as_text=True)
    bad_alt = web.post(f"{BASE}/images/{photo.id}/alt", {"alt_text": ""})
    assert bad_alt.status_code == 422 and "Alt text is required" in text(bad_alt)
    assert "<html" in bad_alt.get_data(as_text=True)
    assert fresh(TeamMember, member.id).name == "Amara"


# -- another provider's ids are not found, and nothing of theirs changes ---------------------------


def test_another_provider_cannot_touch_anything_of_a_venue(web, venue, stocked, make_user):
    other = make_user(role=Role.PROVIDER, name="Otto Other")
    create_venue(other, name="Other Place", category_id=None)
    db.session.commit()
    web.sign_in_as(other)
    s, m, f = stocked["service"].id, stocked["member"].id, stocked["faq"].id
    i = stocked["second"].id
    attempts = [
        ("GET", f"/services/{s}", None),
        ("POST", f"/services/{s}", service_data(name="Hacked", price="1.00")),
        ("POST", f"/services/{s}/delete", None),
        ("POST", f"/services/{s}/move/up", None),
        ("GET", f"/team/{m}", None),
        ("POST", f"/team/{m}", {"name": "Hacked"}),
        ("POST", f"/team/{m}/delete", None),
        ("POST", f"/team/{m}/move/down", None),
        ("GET", f"/faqs/{f}", None),
        ("POST", f"/faqs/{f}", {"question": "Hacked?", "answer": "Yes"}),
        ("POST", f"/faqs/{f}/delete", None),
        ("POST", f"/faqs/{f}/move/down", None),
        ("POST", f"/images/{i}/cover", None),
        ("POST", f"/images/{i}/alt", {"alt_text": "Hacked"}),
        ("POST", f"/images/{i}/delete", None),
        ("POST", f"/images/{i}/move/up", None),
        # The team photo is not part of any gallery, not even its own venue's.
        ("POST", f"/images/{stocked['member'].photo_id}/delete", None),
    ]
    for method, path, data in attempts:
        assert send(web, method, path, data).status_code == 404, path
    for path in ("/services/order", "/images/order"):
        assert web.post(BASE + path, {"ids": [s, i]}).status_code == 422, path

    service, member, faq = fresh(Service, s), fresh(TeamMember, m), fresh(FAQ, f)
    assert (service.name, service.price_minor) == ("Swedish massage", 4500)
    assert member.name == "Amara" and member.photo_id is not None
    assert faq.question == "Is there parking?"
    cover, second = fresh(VenueImage, stocked["cover"].id), fresh(VenueImage, i)
    assert cover.is_cover and not second.is_cover
    assert (cover.position, second.position) == (0, 1)
    assert second.alt_text == "Treatment room"
    assert fresh(Venue, venue.id).changed_fields == []


# -- services --------------------------------------------------------------------------------------


def test_adding_a_service_stores_minor_units_and_moves_onboarding_on(web, venue):
    response = web.post(f"{BASE}/services", service_data(price="45.00", duration_minutes="90"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/provider/venue/services")
    service = fresh(Venue, venue.id).services[0]
    assert (service.name, service.price_minor, service.duration_minutes, service.buffer_minutes) == (
        "Swedish massage",
        4500,
        90,
        10,
    )
    assert service.is_active and service.currency == "GBP"
    assert fresh(Venue, venue.id).onboarding_step == "team"

    page = web.get(f"{BASE}/services").get_data(as_text=True)
    assert "£45.00" in page
    assert "1 h 30 min" in page
    assert "Added “Swedish massage”." in page  # the flash


def test_an_unticked_active_box_hides_the_service(web, venue):
    data = service_data()
    del data["is_active"]
    assert web.post(f"{BASE}/services", data).status_code == 302
    assert fresh(Venue, venue.id).services[0].is_active is False
    assert "Hidden" in web.get(f"{BASE}/services").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "-5", "can't be negative"),
        ("price", "-0.01", "can't be negative"),
        ("price", "12.345", "at most two decimal places"),
        ("price", "abc", "as a number"),
        ("price", "1e3", "as a number"),
        ("price", "NaN", "as a number"),
        ("price", "", "Enter the price"),
        ("duration_minutes", "0", "between 5 minutes and 12 hours"),
        ("duration_minutes", "721", "between 5 minutes and 12 hours"),
        ("duration_minutes", "ten", "whole number"),
        ("capacity", "0", "between 1 and 50"),
        ("buffer_minutes", "-1", "between 0 and 240"),
        ("name", "", "Enter the service"),
        ("name", "   ", "Enter the service"),
        ("category_id", "999999", "Not a valid choice"),
    ],
)
def test_bad_service_input_is_refused_and_changes_nothing(web, venue, field, value, message):
    existing = new_service(venue, "Hot stone massage", price_minor=6000)
    db.session.commit()
    added = web.post(f"{BASE}/services", service_data(**{field: value}))
    assert added.status_code == 422
    assert message in text(added)
    edited = web.post(f"{BASE}/services/{existing.id}", service_data(**{field: value}))
    assert edited.status_code == 422
    assert message in text(edited)
    assert count(Service, venue) == 1
    assert (fresh(Service, existing.id).name, fresh(Service, existing.id).price_minor) == ("Hot stone massage", 6000)


@pytest.mark.parametrize(
    ("text", "minor"), [("45", 4500), ("45.5", 4550), ("45.00", 4500), ("1,045.99", 104599), ("£0", 0), (".5", 50)]
)
def test_prices_are_read_in_major_units(text, minor):
    assert parse_price(text) == minor


def test_price_and_duration_labels():
    assert format_money(4500, "GBP") == "£45.00"
    assert format_money(123456, "EUR") == "€1,234.56"
    assert [duration_label(m) for m in (45, 60, 90, 720)] == ["45 min", "1 h", "1 h 30 min", "12 h"]


def test_editing_a_service_without_javascript(web, venue):
    service = new_service(venue)
    db.session.commit()
    page = web.get(f"{BASE}/services/{service.id}")
    assert page.status_code == 200
    assert 'value="45.00"' in page.get_data(as_text=True)  # the price as typed, in major units
    response = web.post(f"{BASE}/services/{service.id}", service_data(name="Deep tissue", price="55.50"))
    assert response.status_code == 302
    service = fresh(Service, service.id)
    assert (service.name, service.price_minor) == ("Deep tissue", 5550)


def test_editing_a_service_in_place_with_htmx(web, venue):
    service = new_service(venue)
    db.session.commit()
    form = web.get(f"{BASE}/services/{service.id}", headers=HTMX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "<html" not in html and f'id="service-{service.id}"' in html and "<form" in html

    bad = web.post(f"{BASE}/services/{service.id}", service_data(price="12.345"), headers=HTMX)
    assert bad.status_code == 422
    assert "<html" not in bad.get_data(as_text=True) and "two decimal places" in bad.get_data(as_text=True)

    saved = web.post(f"{BASE}/services/{service.id}", service_data(name="Deep tissue"), headers=HTMX)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert html.lstrip().startswith("<li") and "Deep tissue" in html and "<form" in html  # row with its buttons
    assert "Saved “Deep tissue”." in toasts(saved)


def test_adding_with_htmx_swaps_the_panel_and_toasts(web, venue):
    response = web.post(f"{BASE}/services", service_data(), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="service-list"' in html and "Add a service" in html
    assert toasts(response) == ["Added “Swedish massage”."]
    refused = web.post(f"{BASE}/services", service_data(price="abc"), headers=HTMX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)


def test_removing_moving_and_reordering_services(web, venue):
    a, b, c = (new_service(venue, name) for name in ("A", "B", "C"))
    db.session.commit()

    assert web.post(f"{BASE}/services/{c.id}/move/up").status_code == 302
    assert [s.name for s in fresh(Venue, venue.id).services] == ["A", "C", "B"]
    assert web.post(f"{BASE}/services/{a.id}/move/up").status_code == 302  # already first: no change
    assert [s.name for s in fresh(Venue, venue.id).services] == ["A", "C", "B"]

    moved = web.post(f"{BASE}/services/order", {"ids": [b.id, a.id, c.id]}, headers=HTMX)
    assert moved.status_code == 200 and "New order saved." in toasts(moved)
    assert [s.name for s in fresh(Venue, venue.id).services] == ["B", "A", "C"]
    for bad in ({"ids": [b.id, a.id]}, {"ids": [b.id, a.id, c.id, c.id]}, {"ids": ["x", a.id, c.id]}):
        assert web.post(f"{BASE}/services/order", bad).status_code == 422
    assert [s.name for s in fresh(Venue, venue.id).services] == ["B", "A", "C"]

    removed = web.post(f"{BASE}/services/{a.id}/delete", headers=HTMX)
    assert removed.status_code == 200 and "Removed “A”." in toasts(removed)
    assert [s.name for s in fresh(Venue, venue.id).services] == ["B", "C"]


def test_removing_a_service_takes_it_off_the_team(web, venue, stocked):
    service, member = stocked["service"], stocked["member"]
    assert web.post(f"{BASE}/services/{service.id}/delete").status_code == 302
    assert fresh(Service, service.id) is None
    assert fresh(TeamMember, member.id).services == []
    assert "No services chosen" in web.get(f"{BASE}/team").get_data(as_text=True)


def test_a_booked_service_cannot_be_removed_only_hidden(web, venue, customer):
    from datetime import UTC, datetime, timedelta

    from app.booking.models import Booking, Order

    service = new_service(venue)
    starts = datetime.now(UTC) + timedelta(days=3)
    order = Order(customer_id=customer.id, currency="GBP", total_minor=4500, hold_expires_at=starts)
    db.session.add(order)
    db.session.flush()
    db.session.add(
        Booking(
            reference="CWTEST0001",
            order_id=order.id,
            customer_id=customer.id,
            venue_id=venue.id,
            service_id=service.id,
            status="confirmed",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            blocks_until=starts + timedelta(hours=1),
            quantity=1,
            unit_price_minor=4500,
            currency="GBP",
            cancel_free_hours=24,
        )
    )
    db.session.commit()
    for headers in ({}, HTMX):
        response = web.post(f"{BASE}/services/{service.id}/delete", headers=headers)
        assert response.status_code == 409
        assert "has bookings, so it can't be removed" in text(response)
    assert fresh(Service, service.id) is not None


def test_names_with_markup_render_escaped(web, venue):
    evil = "<script>alert(1)</script>"
    new_service(venue, evil)
    add_team_member(venue, name=evil, title=evil, bio=evil, service_ids=[])
    add_faq(venue, question=evil, answer=evil)
    add_image(venue, image_bytes(), alt_text=evil + '" onerror="alert(2)')
    db.session.commit()
    for page in ("services", "team", "faqs", "images"):
        html = web.get(f"{BASE}/{page}").get_data(as_text=True)
        assert "<script>alert(1)" not in html, page
        assert 'onerror="alert(2)' not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


def test_services_must_exist_before_continuing(web, venue):
    refused = web.post(f"{BASE}/services/done")
    assert refused.status_code == 422
    assert "Add at least one service customers can book" in refused.get_data(as_text=True)
    new_service(venue, is_active=False)
    db.session.commit()
    assert web.post(f"{BASE}/services/done").status_code == 422  # a hidden service can't be booked

    new_service(venue, "Facial")
    db.session.commit()
    response = web.post(f"{BASE}/services/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/provider/venue/team")


# -- team ------------------------------------------------------------------------------------------


def test_adding_a_team_member_with_services_and_a_photo(app, web, venue):
    massage, facial = new_service(venue, "Massage"), new_service(venue, "Facial")
    db.session.commit()
    data = {"name": "Amara", "title": "Therapist", "bio": "Ten years of calm.", "service_ids": [str(facial.id)]}
    data.update(upload(image_bytes(), alt_text="Amara in the treatment room"))
    response = web.post(f"{BASE}/team", data, content_type="multipart/form-data")
    assert response.status_code == 302
    member = fresh(Venue, venue.id).team[0]
    assert (member.name, member.title, [s.name for s in member.services]) == ("Amara", "Therapist", ["Facial"])
    assert member.photo.kind == "team" and member.photo.alt_text == "Amara in the treatment room"
    assert all(app.extensions["storage"].exists(v["key"]) for v in member.photo.variants.values())
    assert fresh(Venue, venue.id).gallery == []  # a team photo is not a venue photo
    assert massage.id not in [s.id for s in member.services]

    page = web.get(f"{BASE}/team").get_data(as_text=True)
    assert "Performs: Facial" in page and 'alt="Amara in the treatment room"' in page


def test_a_team_photo_needs_alt_text_and_a_real_image(app, web, venue):
    before = stored_files(app)
    data = {"name": "Amara", **upload(image_bytes(), alt_text="")}
    no_alt = web.post(f"{BASE}/team", data, content_type="multipart/form-data")
    assert no_alt.status_code == 422
    assert "alt text" in no_alt.get_data(as_text=True)
    data = {"name": "Amara", **upload(b"not an image at all", "fake.png")}
    not_image = web.post(f"{BASE}/team", data, content_type="multipart/form-data")
    assert not_image.status_code == 422
    assert "Upload a JPEG, PNG or WebP" in not_image.get_data(as_text=True)
    assert count(TeamMember, venue) == 0
    assert stored_files(app) == before


def test_team_services_must_be_the_venues_own(web, venue, make_user):
    other = create_venue(make_user(role=Role.PROVIDER), name="Elsewhere", category_id=None)
    theirs = new_service(other, "Their massage")
    db.session.commit()
    response = web.post(f"{BASE}/team", {"name": "Amara", "service_ids": [str(theirs.id)]})
    assert response.status_code == 422
    assert "Choose services from your own venue." in response.get_data(as_text=True)
    assert count(TeamMember, venue) == 0


def test_sixth_team_member_is_refused(web, venue):
    for n in range(MAX_TEAM_MEMBERS - 1):
        add_team_member(venue, name=f"Person {n}", title="", bio="", service_ids=[])
    db.session.commit()
    assert "Add a team member" in web.get(f"{BASE}/team").get_data(as_text=True)

    assert web.post(f"{BASE}/team", {"name": "Fifth"}).status_code == 302
    page = web.get(f"{BASE}/team").get_data(as_text=True)
    assert "You have 5 team members, the most a venue can show" in page
    assert "Add a team member" not in page

    refused = web.post(f"{BASE}/team", {"name": "Sixth"})
    assert refused.status_code == 409
    assert "at most 5 team members" in refused.get_data(as_text=True)
    refused_htmx = web.post(f"{BASE}/team", {"name": "Sixth"}, headers=HTMX)
    assert refused_htmx.status_code == 409 and "<html" not in refused_htmx.get_data(as_text=True)
    assert count(TeamMember, venue) == MAX_TEAM_MEMBERS


def test_editing_a_team_member_replaces_and_removes_the_photo(app, web, venue, stocked):
    member = stocked["member"]
    old_keys = [v["key"] for v in member.photo.variants.values()]
    data = {"name": "Amara B.", "title": "Lead therapist", **upload(image_bytes("WEBP"), "new.webp", "Amara outside")}
    response = web.post(f"{BASE}/team/{member.id}", data, content_type="multipart/form-data", headers=HTMX)
    assert response.status_code == 200 and "Amara B." in response.get_data(as_text=True)
    member = fresh(TeamMember, member.id)
    assert member.photo.alt_text == "Amara outside" and member.services == []
    assert not any(app.extensions["storage"].exists(k) for k in old_keys)

    assert (
        web.post(f"{BASE}/team/{member.id}", {"name": "Amara B.", "alt_text": "Amara at the door"}).status_code == 302
    )
    assert fresh(TeamMember, member.id).photo.alt_text == "Amara at the door"

    new_keys = [v["key"] for v in member.photo.variants.values()]
    assert web.post(f"{BASE}/team/{member.id}", {"name": "Amara B.", "remove_photo": "y"}).status_code == 302
    assert fresh(TeamMember, member.id).photo_id is None
    assert not any(app.extensions["storage"].exists(k) for k in new_keys)


def test_removing_a_team_member_removes_their_photo(app, web, venue, stocked):
    member = stocked["member"]
    keys = [v["key"] for v in member.photo.variants.values()]
    assert web.post(f"{BASE}/team/{member.id}/delete").status_code == 302
    assert count(TeamMember, venue) == 0
    assert not any(app.extensions["storage"].exists(k) for k in keys)


def test_team_can_be_skipped(web, venue):
    response = web.post(f"{BASE}/team/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/provider/venue/faqs")
    assert fresh(Venue, venue.id).onboarding_step == "faqs"


# -- FAQs ------------------------------------------------------------------------------------------


def test_adding_editing_and_removing_a_question(web, venue):
    assert web.post(f"{BASE}/faqs", {"question": "Parking?", "answer": "Behind the shop."}).status_code == 302
    faq = fresh(Venue, venue.id).faqs[0]
    assert fresh(Venue, venue.id).onboarding_step == "images"

    edited = web.post(f"{BASE}/faqs/{faq.id}", {"question": "Is there parking?", "answer": "Yes."}, headers=HTMX)
    assert edited.status_code == 200 and "Is there parking?" in edited.get_data(as_text=True)
    assert fresh(FAQ, faq.id).answer == "Yes."

    assert web.post(f"{BASE}/faqs/{faq.id}", {"question": "", "answer": "Yes."}).status_code == 422
    assert web.post(f"{BASE}/faqs", {"question": "Towels?", "answer": ""}).status_code == 422
    assert fresh(FAQ, faq.id).question == "Is there parking?" and count(FAQ, venue) == 1

    assert web.post(f"{BASE}/faqs/{faq.id}/delete").status_code == 302
    assert count(FAQ, venue) == 0


def test_sixth_question_is_refused(web, venue):
    for n in range(MAX_FAQS):
        add_faq(venue, question=f"Question {n}?", answer="Answer.")
    db.session.commit()
    page = web.get(f"{BASE}/faqs").get_data(as_text=True)
    assert "You have 5 questions, the most a venue can show" in page and "Add a question" not in page
    refused = web.post(f"{BASE}/faqs", {"question": "Sixth?", "answer": "No."})
    assert refused.status_code == 409
    assert "at most 5 questions" in refused.get_data(as_text=True)
    assert count(FAQ, venue) == MAX_FAQS


def test_faqs_can_be_skipped(web, venue):
    response = web.post(f"{BASE}/faqs/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/provider/venue/images")


# -- the limits hold when two requests race (real commits on two connections) ------------------------


def _race(app, add) -> tuple[list[str], object]:
    """Two threads each try ``add(venue)`` at the same moment; returns what happened to each."""
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(venue_id: int) -> None:
        with app.app_context():
            venue = db.session.get(Venue, venue_id)
            barrier.wait()
            try:
                add(venue)
                db.session.commit()
                results.append("added")
            except LimitReached:
                db.session.rollback()
                results.append("refused")

    return results, attempt


def _racing_venue(app, fill) -> tuple[int, int]:
    from tests.factories import UserFactory

    with app.app_context():
        owner = UserFactory(role=Role.PROVIDER, email=f"racer-{threading.get_ident()}@example.com")
        venue = create_venue(owner, name="Race Spa", category_id=None)
        fill(venue)
        db.session.commit()
        return venue.id, owner.id


def _cleanup(app, venue_id: int, owner_id: int) -> None:
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        if venue is not None:
            db.session.delete(venue)
        db.session.delete(db.session.get(User, owner_id))
        # The real commits queued search reindex jobs; they must not outlive the test.
        db.session.execute(sql("DELETE FROM procrastinate_jobs WHERE task_name = 'search.reindex_venues'"))
        db.session.commit()


@pytest.mark.committing
@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "limit", "add"),
    [
        (TeamMember, MAX_TEAM_MEMBERS, lambda v: add_team_member(v, name="Racer", title="", bio="", service_ids=[])),
        (FAQ, MAX_FAQS, lambda v: add_faq(v, question="Racing?", answer="Yes.")),
    ],
    ids=["team", "faqs"],
)
def test_two_parallel_adds_cannot_pass_the_limit(app, model, limit, add):
    venue_id, owner_id = _racing_venue(app, lambda v: [add(v) for _ in range(limit - 1)])
    try:
        results, attempt = _race(app, add)
        threads = [threading.Thread(target=attempt, args=(venue_id,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == ["added", "refused"]
        with app.app_context():
            total = db.session.scalar(select(func.count()).select_from(model).where(model.venue_id == venue_id))
        assert total == limit
    finally:
        _cleanup(app, venue_id, owner_id)


# -- photos ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "filename"), [("PNG", "a.png"), ("JPEG", "a.jpg"), ("WEBP", "a.webp")])
def test_an_upload_becomes_three_webp_sizes(app, web, venue, fmt, filename):
    response = web.post(
        f"{BASE}/images", upload(image_bytes(fmt, (2000, 1200)), filename), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    image = fresh(Venue, venue.id).gallery[0]
    assert image.is_cover and image.alt_text == "Treatment room with soft lights"
    storage = app.extensions["storage"]
    assert set(image.variants) == {"thumb", "card", "hero"}
    for name, variant in image.variants.items():
        assert storage.exists(variant["key"]), name
        stored = Image.open(io.BytesIO(storage.open(variant["key"])))
        assert stored.format == "WEBP" and stored.size == (variant["width"], variant["height"])
    assert (image.variants["thumb"]["width"], image.variants["thumb"]["height"]) == (320, 240)
    assert fresh(Venue, venue.id).onboarding_step == "review"

    page = web.get(f"{BASE}/images").get_data(as_text=True)
    thumb = image.variants["thumb"]
    assert f'src="/media/{thumb["key"]}"' in page and 'width="320" height="240"' in page
    assert "Cover photo" in page


def test_exif_metadata_is_stripped(app, web, venue):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "GPS-leaking editor"  # Software
    data = image_bytes("JPEG", (400, 300), exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()  # the upload really carries EXIF
    web.post(f"{BASE}/images", upload(data, "exif.jpg"), content_type="multipart/form-data")
    storage = app.extensions["storage"]
    for variant in fresh(Venue, venue.id).gallery[0].variants.values():
        raw = storage.open(variant["key"])
        stored = Image.open(io.BytesIO(raw))
        assert not stored.getexif() and "exif" not in stored.info
        assert b"SecretCam" not in raw


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"just some text, honestly", "notes.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg"),
        (image_bytes("GIF", mode="L"), "anim.gif"),
        (png_claiming_size(100_000, 100_000), "bomb.png"),
        (image_bytes("PNG")[:60], "cut.png"),
        (b"", "empty.png"),
    ],
    ids=["text-as-png", "svg", "gif", "bomb-header", "truncated", "empty"],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(app, web, venue, data, filename):
    before = stored_files(app)
    response = web.post(f"{BASE}/images", upload(data, filename), content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert any(m in html for m in ("JPEG, PNG or WebP", "too many pixels", "damaged", "empty", "Choose a photo")), html
    assert count(VenueImage, venue) == 0
    assert stored_files(app) == before


def test_too_many_pixels_or_bytes_are_refused(app, web, venue, monkeypatch):
    before = stored_files(app)
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 10)
    bomb = web.post(f"{BASE}/images", upload(image_bytes("PNG", (10, 10))), content_type="multipart/form-data")
    assert bomb.status_code == 422 and "too many pixels" in bomb.get_data(as_text=True)
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 40_000_000)
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", 100)
    big = web.post(f"{BASE}/images", upload(image_bytes("PNG", (300, 300))), content_type="multipart/form-data")
    assert big.status_code == 422 and "larger than" in big.get_data(as_text=True)
    assert count(VenueImage, venue) == 0 and stored_files(app) == before


def test_a_photo_needs_a_file_and_alt_text(web, venue):
    no_alt = web.post(f"{BASE}/images", upload(image_bytes(), alt_text=" "), content_type="multipart/form-data")
    assert no_alt.status_code == 422 and "alt text" in no_alt.get_data(as_text=True)
    no_file = web.post(f"{BASE}/images", {"alt_text": "A room"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "Choose a photo" in no_file.get_data(as_text=True)
    assert count(VenueImage, venue) == 0


def test_deleting_a_photo_deletes_its_files_after_commit_and_moves_the_cover(app, web, venue, stocked):
    cover = stocked["cover"]
    keys = [v["key"] for v in cover.variants.values()]
    storage = app.extensions["storage"]
    assert all(storage.exists(k) for k in keys)
    response = web.post(f"{BASE}/images/{cover.id}/delete", headers=HTMX)
    assert response.status_code == 200 and "Removed the photo." in toasts(response)
    assert fresh(VenueImage, cover.id) is None
    assert not any(storage.exists(k) for k in keys)
    assert fresh(VenueImage, stocked["second"].id).is_cover
    assert fresh(Venue, venue.id).changed_fields == []  # a draft: nothing to re-review


def test_a_failed_request_keeps_the_files(app, venue, stocked):
    """Files go only once the deletion is committed: a rollback leaves them in place."""
    from app.venues.images import delete_image

    keys = [v["key"] for v in stocked["second"].variants.values()]
    delete_image(venue, stocked["second"].id)
    db.session.rollback()
    assert all(app.extensions["storage"].exists(k) for k in keys)


def test_setting_the_cover_and_alt_text_and_order(web, venue, stocked):
    cover, second = stocked["cover"], stocked["second"]
    assert web.post(f"{BASE}/images/{second.id}/cover").status_code == 302
    assert fresh(VenueImage, second.id).is_cover and not fresh(VenueImage, cover.id).is_cover

    saved = web.post(f"{BASE}/images/{second.id}/alt", {"alt_text": "Calm treatment room"}, headers=HTMX)
    assert saved.status_code == 200 and 'alt="Calm treatment room"' in saved.get_data(as_text=True)
    assert "<html" not in saved.get_data(as_text=True)
    empty = web.post(f"{BASE}/images/{second.id}/alt", {"alt_text": "  "}, headers=HTMX)
    assert empty.status_code == 422 and "Alt text is required" in empty.get_data(as_text=True)
    assert fresh(VenueImage, second.id).alt_text == "Calm treatment room"

    assert web.post(f"{BASE}/images/{second.id}/move/up").status_code == 302
    assert [i.id for i in fresh(Venue, venue.id).gallery] == [second.id, cover.id]


def test_editing_a_live_venue_flags_photos_for_review(web, venue, stocked):
    venue.status = "approved"
    db.session.commit()
    web.post(f"{BASE}/images/{stocked['second'].id}/cover")
    assert fresh(Venue, venue.id).changed_fields == ["images"]


def test_photos_must_exist_before_continuing(web, venue):
    refused = web.post(f"{BASE}/images/done")
    assert refused.status_code == 422 and "Add at least one photo" in refused.get_data(as_text=True)
    add_image(venue, image_bytes(), alt_text="A room")
    db.session.commit()
    response = web.post(f"{BASE}/images/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/provider/venue/review")


def test_media_is_served_immutable_and_never_sniffed(web, venue, stocked):
    key = stocked["cover"].variant("thumb")["key"]
    response = web.get(f"/media/{key}")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_use_no_inline_scripts_or_styles(web, venue, stocked):
    for page in ("services", "team", "faqs", "images"):
        html = web.get(f"{BASE}/{page}").get_data(as_text=True)
        assert "style=" not in html, page
        assert "<script>" not in html and " on" + "click=" not in html, page
        assert "js/reorder.js" in html, page
