"""The front desk books a service's options and add-ons (issue 44, item 7): the "New booking" form
offers the picked service's options (its standard one selected) and add-ons, the times fit their
length, and the booking holds the option's minutes plus the add-ons' at the summed price. Another
service's option or add-on is refused with a message, and nothing is booked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.booking.models import Booking, BookingStatus
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.clients.models import VenueClient
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.options import OptionInput, set_options
from app.venues.service import save_service
from tests.booking.helpers import future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def massage(ctx, provider):
    """Calm Rooms (open 09:00-18:00, one person at a time) with a massage of 60 min £45 or 90 min
    £65, "Hot stones" (+£15, +15 min) as an add-on, and a facial (no options) with an add-on of its own."""
    venue, service = make_bookable_venue(provider)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    set_addons(service, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=30,
        price_minor=3000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    set_addons(facial, [AddonInput("Eye mask", 800, 10)])
    short, long = service.options
    return venue, service, short, long, service.addons[0], facial


def desk_form(service, start: datetime, **changes) -> dict:
    """The desk form's fields for a new walk-in at ``start``, ``changes`` overriding them."""
    return {
        "service": service.id,
        "member": "any",
        "date": start.astimezone(LONDON).date().isoformat(),
        "starts_at": start.isoformat(),
        "new_name": "Walk In",
        **changes,
    }


def nothing_booked() -> bool:
    count = db.session.scalar(select(func.count()).select_from(Booking))
    return count == 0 and db.session.scalar(select(func.count()).select_from(VenueClient)) == 0


# -- the form --------------------------------------------------------------------------------------


def test_the_form_offers_the_services_options_and_addons(web, provider, massage):
    _venue, service, short, long, stones, _facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    day = future_slot(days=3).astimezone(LONDON).date()
    page = html(web.get(f"/provider/desk/new?service={service.id}&date={day.isoformat()}"))
    assert 'name="option"' in page and 'id="desk-option"' in page
    assert f'<option value="{short.id}" selected>60 min (1 h, £45.00)</option>' in page  # the standard one
    assert f'<option value="{long.id}">90 min (1 h 30 min, £65.00)</option>' in page
    assert f'value="{stones.id}" id="desk-addon-{stones.id}">' in page  # not checked
    assert "Hot stones (+£15.00, +15 min)" in page and "Scalp massage (+£10.00)" in page
    assert "In all: 1 h, £45.00." in page


def test_the_times_follow_the_option_and_addons(web, provider, massage):
    _venue, service, _short, long, stones, _facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    day = future_slot(days=3).astimezone(LONDON).date().isoformat()
    base = f"/provider/desk/new?part=times&service={service.id}&date={day}"
    plain = html(web.get(f"{base}&option={long.id}")).replace(" ", "")
    assert ">16:30<" in plain and "Inall:1h30min,£65.00." in plain
    stoned = html(web.get(f"{base}&option={long.id}&addons={stones.id}")).replace(" ", "")
    assert ">16:15<" in stoned and ">16:30<" not in stoned  # 105 minutes end by 18:00
    assert "Inall:1h45min,£80.00." in stoned


def test_a_service_just_picked_brings_its_own_options_and_addons(web, provider, massage):
    _venue, _service, _short, _long, _stones, facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    day = future_slot(days=3).astimezone(LONDON).date().isoformat()
    part = web.get(f"/provider/desk/new?part=choice&service={facial.id}&date={day}", headers={"HX-Request": "true"})
    assert part.status_code == 200
    fragment = html(part)
    assert fragment.lstrip().startswith('<div id="desk-choice">') and "<form" not in fragment
    assert 'name="option"' not in fragment and "Eye mask (+£8.00, +10 min)" in fragment
    assert "Hot stones" not in fragment and 'id="desk-time"' in fragment


def test_another_services_addon_in_the_picker_is_a_400(web, provider, massage):
    _venue, service, _short, _long, _stones, facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    response = web.get(f"/provider/desk/new?service={service.id}&addons={facial.addons[0].id}")
    assert response.status_code == 400 and "That add-on is not one of this service's." in html(response)


# -- booking ---------------------------------------------------------------------------------------


def test_the_desk_books_a_90_minute_option_with_an_addon(web, provider, massage):
    _venue, service, _short, long, stones, _facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2)
    response = web.post("/provider/desk/new", desk_form(service, start, option=str(long.id), addons=[str(stones.id)]))
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.starts_at == start and booking.ends_at == start + timedelta(minutes=90 + 15)
    assert booking.option_id == long.id and booking.option_name == "90 min"
    assert [(a.name, a.price_minor, a.extra_minutes) for a in booking.addons] == [("Hot stones", 1500, 15)]
    assert booking.unit_price_minor == 8000 and booking.at_venue_minor == 8000 and booking.online_minor == 0
    panel = html(web.get(response.headers["Location"]))
    assert "Deep tissue massage (90 min) + Hot stones" in panel  # the flash and the booking's title
    assert "£80.00 to pay at the venue" in panel


def test_the_booked_time_is_no_longer_offered_for_its_whole_length(web, provider, massage):
    venue, service, short, long, stones, _facial = massage
    client = clients.add_client(venue.id, name="Walk In")
    start = future_slot(days=2)
    book_at_desk(
        venue,
        client,
        service_id=service.id,
        starts_at=start,
        team_member_id=None,
        staff=provider,
        now=datetime.now(UTC),
        option_id=long.id,
        addon_ids=[stones.id],
    )
    db.session.commit()
    web.sign_in_as(provider)
    day = start.astimezone(LONDON).date().isoformat()
    times = html(web.get(f"/provider/desk/new?part=times&service={service.id}&option={short.id}&date={day}"))
    squeezed = times.replace(" ", "")
    assert ">09:00<" in squeezed and ">11:45<" in squeezed  # 10:00 to 11:45 is taken
    assert all(f">{hour}<" not in squeezed for hour in ("09:15", "10:00", "11:00", "11:30"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"option": "999999"}, "That option is not one of this service's."),
        ({"option": "abc"}, "That option can't be read: choose one from the list."),
        ({"option": ""}, "Choose one of the service's options."),
        ({"addons": ["999999"]}, "That add-on is not one of this service's."),
        ({"addons": ["x"]}, "That add-on can't be read: choose one from the list."),
    ],
)
def test_a_bad_option_or_addon_is_refused_and_books_nothing(web, provider, massage, changes, message):
    _venue, service, short, _long, _stones, _facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post("/provider/desk/new", desk_form(service, future_slot(days=2), option=str(short.id)) | changes)
    assert response.status_code == 422 and message in html(response)
    assert nothing_booked()


def test_another_services_option_or_addon_is_refused_and_books_nothing(web, provider, massage):
    _venue, service, short, _long, _stones, facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2)
    eye_mask = facial.addons[0]
    response = web.post("/provider/desk/new", desk_form(service, start, option=str(short.id), addons=[eye_mask.id]))
    assert response.status_code == 422 and "That add-on is not one of this service's." in html(response)
    # the facial has no options: the massage's is refused for it
    response = web.post("/provider/desk/new", desk_form(facial, start, option=str(short.id)))
    assert response.status_code == 422 and "This service has no options to choose from." in html(response)
    assert nothing_booked()


def test_the_service_refuses_another_services_addon_and_writes_nothing(massage, provider):
    venue, service, short, _long, _stones, facial = massage
    client = clients.add_client(venue.id, name="Walk In")
    db.session.flush()
    with pytest.raises(ValidationFailed, match="not one of this service's"):
        book_at_desk(
            venue,
            client,
            service_id=service.id,
            starts_at=future_slot(days=2),
            team_member_id=None,
            staff=provider,
            now=datetime.now(UTC),
            option_id=short.id,
            addon_ids=[facial.addons[0].id],
        )
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_without_an_option_the_desk_books_the_standard_one(massage, provider):
    venue, service, short, _long, _stones, _facial = massage
    client = clients.add_client(venue.id, name="Walk In")
    start = future_slot(days=2)
    now = datetime.now(UTC)
    booking = book_at_desk(
        venue, client, service_id=service.id, starts_at=start, team_member_id=None, staff=provider, now=now
    )
    assert booking.option_id == short.id and booking.option_name == "60 min" and booking.addons == []
    assert booking.ends_at == start + timedelta(minutes=60) and booking.unit_price_minor == 4500


def test_a_service_without_options_books_as_before(web, provider, ctx):
    _venue, service = make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2)
    form = html(web.get(f"/provider/desk/new?service={service.id}&date={start.date().isoformat()}"))
    assert 'name="option"' not in form and 'name="addons"' not in form
    response = web.post("/provider/desk/new", desk_form(service, start))
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert booking.option_id is None and booking.option_name is None and booking.addons == []
    assert booking.ends_at == start + timedelta(minutes=60) and booking.unit_price_minor == 6000
    assert "Booked Deep tissue massage for Walk In" in html(web.get(response.headers["Location"]))


def test_a_post_without_csrf_books_nothing(web, provider, massage):
    _venue, service, _short, long, stones, _facial = massage
    db.session.commit()
    web.sign_in_as(provider)
    data = desk_form(service, future_slot(days=2), option=str(long.id), addons=[str(stones.id)])
    response = web.post("/provider/desk/new", data, csrf=False)
    assert response.status_code == 400
    assert nothing_booked()
