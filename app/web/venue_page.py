"""A venue's public page as the template reads it (gallery, services, hours, map, reviews,
contact, JSON-LD) and its ETag, for the public page and the admins' preview."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.booking.policy import describe_service_rules
from app.booking.presenting import book_url
from app.memberships.presenting import venue_memberships
from app.memberships.service import member_price
from app.packages.presenting import venue_offers
from app.payouts.accounts import takes_paid_bookings
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.platform.storage import absolute_media_url, media_url
from app.platform.timefmt import day_words, venue_zone
from app.platform.urls import absolute_url
from app.reviews.models import ReviewPhoto
from app.reviews.service import rating_breakdown, venue_reviews
from app.venues.approval import STATUS_LABELS
from app.venues.closing import pause_notice
from app.venues.deposits import service_pay_label
from app.venues.hours import WEEKDAYS, Range, format_minute, is_open_at, weekday_name
from app.venues.models import Closure, Service, ServiceAddon, Venue, VenueImage
from app.venues.options import from_price


def build_venue_page(venue: Venue, *, now: datetime) -> dict[str, Any]:
    """Everything the venue template shows, as plain values."""
    paused = pause_notice(venue, now)
    canonical_url = absolute_url("venues_public.venue_page", slug=venue.slug)
    gallery = [picture(image, "hero") for image in ordered_gallery(venue)]
    gallery = [p for p in gallery if p]
    services = [s for s in venue.services if s.is_active]
    hours = opening_hours_summary(venue, now)
    description = venue.description.strip()
    meta_description = summarize(description, DESCRIPTION_LENGTH) or (
        f"Book treatments at {venue.name}{' in ' + venue.city if venue.city else ''} on CozyWish."
    )
    reviews = reviews_summary(venue)
    memberships = venue_memberships(venue.id)  # monthly plans (app/memberships): one statement
    title_parts = [venue.name]
    if venue.category and venue.city:
        title_parts.append(f"{venue.category.name} in {venue.city}")
    elif venue.city:
        title_parts.append(venue.city)
    return {
        "venue": {
            "id": venue.id,
            "owner_id": venue.owner_id,
            "name": venue.name,
            "slug": venue.slug,
            "status": venue.status,
            "status_label": STATUS_LABELS.get(venue.status, venue.status),
            "category": venue.category.name if venue.category else "",
            "category_slug": venue.category.slug if venue.category else "",
            "city": venue.city,
            "tags": list(venue.tags or []),
            "paragraphs": [p.strip() for p in re.split(r"\n\s*\n", description) if p.strip()],
        },
        "is_preview": not venue.is_public,
        # No "Book now" and no times while the venue can't take paid bookings (its payouts) or
        # is paused by its owner (app/venues/closing.py: the page says until when).
        "bookable": takes_paid_bookings(venue.id) and not paused,
        "paused_notice": paused,
        "pause_message": venue.pause_message if paused else None,
        "gallery": gallery,
        "service_groups": group_services(services, member_offer=memberships["member_offer"]),
        "price_range": price_range(services),
        "service_count": len(services),
        "packages": venue_offers(venue.id),  # courses of sessions (app/packages): one statement
        "memberships": memberships["plans"],
        "hours": hours,
        "closures": upcoming_closures(venue.closures, hours["today"]),
        "map": map_settings(venue),
        "team": [
            {
                "name": member.name,
                "title": member.title,
                "bio": member.bio,
                "photo": picture(member.photo, "thumb") if member.photo else None,
                "services": [s.name for s in member.services if s.is_active],
                # "Book with ...": the booking page of the first service they do, their times first.
                "book_url": next((book_url(venue.slug, s.id, member.id) for s in member.services if s.is_active), None),
            }
            for member in venue.team
        ],
        "faqs": [{"id": faq.id, "question": faq.question, "answer": faq.answer} for faq in venue.faqs],
        "reviews": reviews,
        "contact": contact_details(venue),
        "seo": {
            "title": " – ".join(title_parts),
            "description": meta_description,
            "canonical_url": canonical_url,
            "image_url": gallery[0]["absolute_url"] if gallery else "",
            "image_alt": gallery[0]["alt"] if gallery else "",
            "street_address": venue.address_line,
            "locality": venue.city,
            "postal_code": venue.postcode,
            "country_name": country_name(venue.country),
        },
        "json_ld": local_business_json_ld(venue, canonical_url, gallery, services, reviews),
    }


DESCRIPTION_LENGTH = 155
JSON_LD_REVIEWS = 5  # the newest reviews in the page's JSON-LD


UPCOMING_CLOSURES = 6


def reviews_summary(venue: Venue, limit: int = 10) -> dict[str, Any]:
    """The average, the spread of stars, and the newest published reviews (first names only)."""
    count = venue.review_count or 0
    return {
        "average": f"{venue.rating:.1f}" if venue.rating is not None else None,
        "count": count,
        "breakdown": [
            {"stars": stars, "n": n, "percent": round(100 * n / count) if count else 0}
            for stars, n in rating_breakdown(venue.id).items()
        ],
        "latest": [
            {
                "id": review.id,
                "rating": review.rating,
                "body": review.body,
                "author": (review.customer.name or "A customer").split()[0],
                "month": day_words(review.created_at.date(), "MMMM y"),
                "date": review.created_at.date().isoformat(),
                "service": review.booking.service.name,
                "photos": [review_photo(photo) for photo in review.photos if photo.variant("thumb").get("key")],
                "reply": (
                    {
                        "venue": venue.name,
                        "body": review.reply.body,
                        "date": day_words(review.reply.created_at.date(), "d MMMM y"),
                        "iso_date": review.reply.created_at.date().isoformat(),
                    }
                    if review.reply is not None and review.reply.status == "published"
                    else None
                ),
            }
            for review in venue_reviews(venue.id, limit=limit)
        ],
    }


def review_photo(photo: ReviewPhoto) -> dict[str, Any]:
    """A review photo's thumbnail, linked to its large size."""
    thumb, large = photo.variant("thumb"), photo.variant("large")
    return {
        "src": media_url(thumb["key"]),
        "width": thumb["width"],
        "height": thumb["height"],
        "large": media_url(large["key"]),
        "alt": photo.alt_text,
    }


def ordered_gallery(venue: Venue) -> list[VenueImage]:
    """The cover photo first, then the others in the owner's order."""
    images = venue.gallery
    cover = venue.cover_image
    return [cover, *[i for i in images if i is not cover]] if cover else images


def picture(image: VenueImage, variant: str) -> dict[str, Any] | None:
    """``<img>`` attributes for one photo; the srcset lists only variants of the same shape."""
    main = image.variant(variant)
    if not main.get("key"):
        return None
    ratio = main["width"] / main["height"]
    same_shape = {
        v["width"]: v
        for v in image.variants.values()
        if v.get("key") and v.get("height") and abs(v["width"] / v["height"] - ratio) < 0.02
    }
    return {
        "src": media_url(main["key"]),
        "absolute_url": absolute_media_url(main["key"]),
        "width": main["width"],
        "height": main["height"],
        "srcset": ", ".join(f"{media_url(v['key'])} {w}w" for w, v in sorted(same_shape.items())),
        "alt": image.alt_text,
    }


def summarize(text: str, length: int) -> str:
    """One line of at most ``length`` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(",.;:–-")
    return cut + "…"


def price_range(services: list[Service]) -> str:
    """ "£25 – £120" over the bookable services, "£40" when they cost the same, "" with none."""
    by_currency: dict[str, list[int]] = {}
    for service in services:  # with options: its cheapest and its dearest
        prices = by_currency.setdefault(service.currency, [])
        prices.extend([service.price_minor, *(o.price_minor for o in service.options)])
    if len(by_currency) != 1:
        return ""  # no services, or prices in several currencies: nothing honest to summarise
    ((currency, prices),) = by_currency.items()
    low, high = min(prices), max(prices)
    if low == high:
        return format_money(low, currency)
    return f"{format_money(low, currency)} – {format_money(high, currency)}"


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else [])
    return " ".join(parts)


def service_price_label(service: Service) -> str:
    """ "£45", or "from £45" for a service whose options sell for more than that."""
    low, more = from_price(service)
    price = format_money(low, service.currency)
    return _("from %(price)s", price=price) if more else price


def member_price_label(service: Service, member_offer: dict[str, Any] | None) -> str | None:
    """ "£54.00 for Calm club members" (or "from £54.00 …"): the price with the venue's best
    member's discount, the same for every visitor (the page is shared-cached)."""
    if not member_offer:
        return None
    low, more = from_price(service)
    price = format_money(member_price(low, member_offer["percent"]), service.currency)
    if more:
        return _("from %(price)s for %(plan)s members", price=price, plan=member_offer["name"])
    return _("%(price)s for %(plan)s members", price=price, plan=member_offer["name"])


def group_services(services: list[Service], *, member_offer: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Services under their category headings, categories in the catalogue's order, the rest last;
    with ``member_offer`` (the best discount among the venue's memberships), each one's member price."""
    groups: dict[Any, dict[str, Any]] = {}
    for service in services:
        category = service.category
        key = (category.position, category.id) if category else (10**9, 0)
        group = groups.setdefault(key, {"name": category.name if category else "Other services", "services": []})
        group["services"].append(
            {
                "id": service.id,
                "name": service.name,
                "description": service.description,
                "price": service_price_label(service),
                "member_price": member_price_label(service, member_offer),
                "duration": duration_label(service.duration_minutes),
                "options": [
                    {
                        "id": option.id,
                        "name": option.name,
                        "duration": duration_label(option.duration_minutes),
                        "price": format_money(option.price_minor, service.currency),
                    }
                    for option in service.options
                ],
                "addons": [addon_label(addon, service.currency) for addon in service.addons],
                "payment": service_pay_label(service),
                "rules": describe_service_rules(service),
            }
        )
    return [groups[key] for key in sorted(groups)]


def addon_label(addon: ServiceAddon, currency: str) -> str:
    """ "Hot stones +£15.00, 15 min" (or "Hot stones +£15.00" when it adds no time)."""
    price = format_money(addon.price_minor, currency)
    if addon.extra_minutes:
        return _(
            "%(name)s +%(price)s, %(length)s", name=addon.name, price=price, length=duration_label(addon.extra_minutes)
        )
    return _("%(name)s +%(price)s", name=addon.name, price=price)


def opening_hours_summary(venue: Venue, now: datetime) -> dict[str, Any]:
    zone = venue_zone(venue)
    local_now = now.astimezone(zone)
    ranges: dict[int, list[Range]] = {}
    for h in venue.opening_hours:
        ranges.setdefault(h.weekday, []).append(Range(h.opens_minute, h.closes_minute))
    closed = [(c.starts_on, c.ends_on) for c in venue.closures]
    open_now = is_open_at(ranges, closed, now, zone.key)
    label = "Closed now"
    if open_now:
        minute = local_now.hour * 60 + local_now.minute
        current = next(r for r in ranges[local_now.weekday()] if r.opens <= minute < r.closes)
        label = f"Open now · until {format_minute(current.closes)}"
    return {
        "timezone": zone.key,
        "today": local_now.date(),
        "open_now": open_now,
        "open_label": label,
        "has_hours": bool(ranges),
        "days": [
            {
                "day": name,
                "ranges": ", ".join(r.label for r in sorted(ranges.get(weekday, []), key=lambda r: r.opens))
                or _("Closed"),
                "is_today": weekday == local_now.weekday(),
            }
            for weekday, name in ((day, weekday_name(day)) for day in range(7))
        ],
    }


def upcoming_closures(closures: list[Closure], today: date) -> list[dict[str, Any]]:
    def day(d: date) -> str:
        return day_words(d)

    upcoming = sorted((c for c in closures if c.ends_on >= today), key=lambda c: c.starts_on)
    return [
        {
            "dates": day(c.starts_on) if c.starts_on == c.ends_on else f"{day(c.starts_on)} – {day(c.ends_on)}",
            "reason": c.reason,
            "is_current": c.starts_on <= today,
        }
        for c in upcoming[:UPCOMING_CLOSURES]
    ]


def map_settings(venue: Venue) -> dict[str, Any] | None:
    if venue.latitude is None or venue.longitude is None:
        return None
    tile_url = current_app.config.get("MAP_TILE_URL") or ""
    return {
        "lat": venue.latitude,
        "lng": venue.longitude,
        "tile_url": tile_url,
        "attribution": current_app.config["MAP_TILE_ATTRIBUTION"] if tile_url else "",
        "osm_url": (
            f"https://www.openstreetmap.org/?mlat={venue.latitude:.6f}&mlon={venue.longitude:.6f}"
            f"#map=17/{venue.latitude:.6f}/{venue.longitude:.6f}"
        ),
    }


def country_name(code: str) -> str:
    return Locale.parse(format_locale()).territories.get(code.upper(), code) if code else ""


def contact_details(venue: Venue) -> dict[str, Any]:
    website = venue.website.strip()
    safe_website = website if website.lower().startswith(("http://", "https://")) else ""
    return {
        "address_lines": [
            line
            for line in (
                venue.address_line,
                " ".join(p for p in (venue.city, venue.postcode) if p),
                country_name(venue.country),
            )
            if line
        ],
        "phone": venue.phone,
        "tel": re.sub(r"[^\d+]", "", venue.phone),
        "email": venue.email,
        "website": safe_website,
        "website_label": (urlsplit(safe_website).hostname or safe_website) if safe_website else "",
    }


def local_business_json_ld(
    venue: Venue,
    canonical_url: str,
    gallery: list[dict[str, Any]],
    services: list[Service],
    reviews: dict[str, Any] | None = None,
) -> Markup:
    """schema.org LocalBusiness, safe inside <script>: no '<', '>' or '&' survives unescaped.

    With published reviews it carries ``aggregateRating`` (the venue row's average and count,
    the same numbers the page shows) and the newest reviews as ``review``, for search engines'
    stars (Google's review snippet rules: docs/reviews.md); without any it carries neither."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": venue.name,
        "url": canonical_url,
        "description": venue.description.strip(),
        "image": [p["absolute_url"] for p in gallery],
        "telephone": venue.phone,
        "email": venue.email,
        "sameAs": [venue.website] if venue.website.lower().startswith(("http://", "https://")) else [],
        "address": {
            key: value
            for key, value in (
                ("@type", "PostalAddress"),
                ("streetAddress", venue.address_line),
                ("addressLocality", venue.city),
                ("postalCode", venue.postcode),
                ("addressCountry", venue.country),
            )
            if value
        },
        "openingHoursSpecification": [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{WEEKDAYS[h.weekday]}",
                "opens": format_minute(h.opens_minute),
                # schema.org consumers read a day's end as 23:59, not 24:00
                "closes": "23:59" if h.closes_minute == 24 * 60 else format_minute(h.closes_minute),
            }
            for h in venue.opening_hours
        ],
    }
    if venue.latitude is not None and venue.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": venue.latitude, "longitude": venue.longitude}
    if services:
        data["hasOfferCatalog"] = {
            "@type": "OfferCatalog",
            "name": "Services",
            "itemListElement": [
                {
                    "@type": "Offer",
                    "itemOffered": {"@type": "Service", "name": s.name},
                    "price": str((Decimal(s.price_minor) / 100).quantize(Decimal("0.01"))),
                    "priceCurrency": s.currency,
                }
                for s in services
            ],
        }
    if reviews and venue.review_count and venue.rating is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": float(venue.rating),
            "reviewCount": int(venue.review_count),
            "bestRating": 5,
            "worstRating": 1,
        }
        data["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": r["author"]},
                "datePublished": r["date"],
                "reviewRating": {"@type": "Rating", "ratingValue": r["rating"], "bestRating": 5, "worstRating": 1},
                "reviewBody": r["body"],
            }
            for r in reviews["latest"][:JSON_LD_REVIEWS]
        ]
    data = {k: v for k, v in data.items() if v not in ("", [], None)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(escaped)  # noqa: S704 - escaped above for a <script> data block
