"""The venue's short lists: its team (at most five members) and FAQs (at most five), even when
two requests race; its photos; removing any item of its lists and putting them in order."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.platform.errors import InvalidTransition, LimitReached, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import savepoint_or_refuse
from app.venues.images import delete_image
from app.venues.models import FAQ, MAX_FAQS, MAX_TEAM_MEMBERS, Resource, TeamMember, Venue
from app.venues.service import child_of, lock_venue, note_change, remove_service

# -- team and FAQs: at most five each, even when two requests race -------------------------


def next_position(venue: Venue, rows: type[TeamMember | FAQ | Resource], *, most: int, full: str) -> int:
    """Where a new row of one of the venue's short lists goes: at its end, the number of ``rows``
    it has, counted with the venue locked, so that two adds racing count one after the other.
    LimitReached, saying ``full``, when the list holds ``most`` already."""
    lock_venue(venue)
    count = db.session.scalar(select(func.count()).select_from(rows).where(rows.venue_id == venue.id))
    if count >= most:
        raise LimitReached(full)
    return count


def add_team_member(venue: Venue, *, name: str, title: str, bio: str, service_ids: list[int]) -> TeamMember:
    position = next_position(
        venue,
        TeamMember,
        most=MAX_TEAM_MEMBERS,
        full=_(
            "A venue can show at most %(max_team_members)s team members. Remove one to add another.",
            max_team_members=MAX_TEAM_MEMBERS,
        ),
    )
    member = TeamMember(venue_id=venue.id, position=position)
    _fill_team_member(venue, member, name=name, title=title, bio=bio, service_ids=service_ids)
    db.session.add(member)
    db.session.flush()
    note_change(venue, "team")
    return member


def update_team_member(
    venue: Venue, member_id: int, *, name: str, title: str, bio: str, service_ids: list[int]
) -> TeamMember:
    member = child_of(venue.team, member_id, _("team member"))
    _fill_team_member(venue, member, name=name, title=title, bio=bio, service_ids=service_ids)
    note_change(venue, "team")
    return member


def _fill_team_member(venue: Venue, member: TeamMember, *, name: str, title: str, bio: str, service_ids: list[int]):
    if not name.strip():
        raise ValidationFailed(_("Enter the team member's name."), field="name")
    own = {s.id: s for s in venue.services}
    unknown = [sid for sid in service_ids if sid not in own]
    if unknown:
        raise ValidationFailed(_("Choose services from your own venue."), field="service_ids")
    member.name = name.strip()
    member.title = title.strip()
    member.bio = bio.strip()
    member.services = [own[sid] for sid in service_ids]


def remove_team_member(venue: Venue, member_id: int) -> None:
    member = child_of(venue.team, member_id, _("team member"))
    if member.photo is not None:
        delete_image(venue, member.photo.id)
    venue.team.remove(member)
    note_change(venue, "team")


def add_faq(venue: Venue, *, question: str, answer: str) -> FAQ:
    position = next_position(
        venue,
        FAQ,
        most=MAX_FAQS,
        full=_("A venue can show at most %(max_faqs)s questions. Remove one to add another.", max_faqs=MAX_FAQS),
    )
    faq = FAQ(venue_id=venue.id, position=position)
    _fill_faq(faq, question=question, answer=answer)
    db.session.add(faq)
    db.session.flush()
    note_change(venue, "faqs")
    return faq


def update_faq(venue: Venue, faq_id: int, *, question: str, answer: str) -> FAQ:
    faq = child_of(venue.faqs, faq_id, _("question"))
    _fill_faq(faq, question=question, answer=answer)
    note_change(venue, "faqs")
    return faq


def _fill_faq(faq: FAQ, *, question: str, answer: str) -> None:
    for field, text in (("question", question), ("answer", answer)):
        if not text.strip():
            raise ValidationFailed(_("Enter both the question and its answer."), field=field)
    faq.question = question.strip()[:300]
    faq.answer = answer.strip()


def remove_faq(venue: Venue, faq_id: int) -> None:
    venue.faqs.remove(child_of(venue.faqs, faq_id, _("question")))
    note_change(venue, "faqs")


def remove_photo(venue: Venue, image_id: int) -> None:
    delete_image(venue, image_id)
    note_change(venue, "images")


def remove_item(venue: Venue, collection: str, item_id: int) -> None:
    """Remove one of the venue's services, team members, FAQs or photos. One that something else
    still points to is refused, and nothing of it changes (the database has the last word)."""
    remove = {"services": remove_service, "team": remove_team_member, "faqs": remove_faq, "images": remove_photo}
    with savepoint_or_refuse(InvalidTransition(_("That item is in use."))):
        remove[collection](venue, item_id)


# -- ordering -------------------------------------------------------------------------------


def reorder(venue: Venue, collection: str, ordered_ids: list[int]) -> None:
    """Set positions in the given order; the ids must be exactly the venue's own."""
    items = {
        "services": venue.services,
        "team": venue.team,
        "faqs": venue.faqs,
        "images": venue.gallery,
    }[collection]
    if sorted(ordered_ids) != sorted(i.id for i in items):
        raise ValidationFailed(_("The new order must list each item once."))
    by_id = {i.id: i for i in items}
    for position, item_id in enumerate(ordered_ids):
        by_id[item_id].position = position
    note_change(venue, collection)


def move(venue: Venue, collection: str, item_id: int, direction: str) -> None:
    """Move one item up or down (the buttons that work without JavaScript)."""
    items = sorted(
        {"services": venue.services, "team": venue.team, "faqs": venue.faqs, "images": venue.gallery}[collection],
        key=lambda i: i.position,
    )
    ids = [i.id for i in items]
    if item_id not in ids or direction not in ("up", "down"):
        raise ValidationFailed(_("That item can't be moved."))
    index = ids.index(item_id)
    swap = index - 1 if direction == "up" else index + 1
    if 0 <= swap < len(ids):
        ids[index], ids[swap] = ids[swap], ids[index]
    reorder(venue, collection, ids)
