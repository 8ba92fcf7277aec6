"""Dashboard pages for services, team, FAQs and photos (routes on the venues_dashboard blueprint).

Each page lists the venue's own items above an add form. A row edits in place with HTMX, or on
the full page without JavaScript. Every change answers an HTMX request with the fragment to
swap plus a toast, and a plain request with a redirect plus a flash; a refusal shows the page
(or the row) again with its message. The item a URL names is loaded inside the provider's own
venue (``venue_row``), so another venue's ids are simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.platform.errors import DomainError, LimitReached, ValidationFailed
from app.platform.money import format_money
from app.venues.addons import set_addons
from app.venues.approval import STATUS_LABELS
from app.venues.catalog_forms import (
    AltTextForm,
    FAQForm,
    ImageUploadForm,
    ServiceForm,
    TeamMemberForm,
    format_price_input,
)
from app.venues.deposits import describe_payment
from app.venues.images import MAX_IMAGES, add_image, delete_image, set_alt_text, set_cover
from app.venues.lists import add_faq, add_team_member, move, remove_item, reorder, update_faq, update_team_member
from app.venues.models import FAQ, MAX_FAQS, MAX_TEAM_MEMBERS, Service, TeamMember, Venue, VenueImage
from app.venues.options import keep_options, set_options
from app.venues.resources import set_needs, venue_resources
from app.venues.service import WIZARD_STEPS, advance_onboarding, get_categories, note_change, save_service
from app.venues.wizard import STEP_LABELS, wizard_context
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.loaders import venue_row
from app.web.rendering import after_change, render_page
from app.web.unit_of_work import on_refusal, settle

PAGE_TITLES = {"services": _l("Services"), "team": _l("Team"), "faqs": _l("FAQs"), "images": _l("Photos")}
# What must exist before a step can be left; team and FAQs are optional.
CONTINUE_NEEDS = {
    "services": (lambda v: bool(v.active_services), "Add at least one service customers can book before you continue."),
    "images": (
        lambda v: bool(v.gallery),
        "Add at least one photo before you continue: it's the first thing customers see.",
    ),
}


# -- display helpers (decided values for the templates) ------------------------------------


def service_payment_label(service: Any) -> str:
    return describe_payment(
        service.payment_mode,
        deposit_percent=service.deposit_percent,
        deposit_fixed_minor=service.deposit_fixed_minor,
        currency=service.currency,
    )


def duration_label(minutes: int) -> str:
    """90 -> "1 h 30 min", 60 -> "1 h", 45 -> "45 min"."""
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else [])
    return " ".join(parts)


# -- page rendering ----------------------------------------------------------------------------


def _lists(venue: Venue, step: str) -> dict[str, Any]:
    if step == "services":
        return {"services": venue.services}
    if step == "team":
        return {"team": venue.team, "at_limit": len(venue.team) >= MAX_TEAM_MEMBERS, "limit": MAX_TEAM_MEMBERS}
    if step == "faqs":
        return {"faqs": venue.faqs, "at_limit": len(venue.faqs) >= MAX_FAQS, "limit": MAX_FAQS}
    return {"images": venue.gallery, "at_limit": len(venue.gallery) >= MAX_IMAGES, "limit": MAX_IMAGES}


def _blank_form(venue: Venue, step: str) -> FlaskForm:
    return {
        "services": lambda: _service_form(venue, submitted=False),
        "team": lambda: _team_form(venue, submitted=False),
        "faqs": lambda: FAQForm(formdata=None),
        "images": lambda: ImageUploadForm(formdata=None),
    }[step]()


def _render(step: str, venue: Venue, *, block: str | None = "", status: int = 200, **extra: Any) -> Response:
    """The step's page, or for HTMX its ``block`` (the list-and-form panel unless named)."""
    context: dict[str, Any] = {
        "venue": venue,
        "status_label": STATUS_LABELS[venue.status],
        "step_title": PAGE_TITLES[step],
        # Same rule as the profile steps: onboarding until the provider reaches "review".
        "onboarding": venue.onboarding_step != WIZARD_STEPS[-1],
        "price_label": format_money,
        "payment_label": service_payment_label,
        "duration_label": duration_label,
        "options_label": options_label,
        "addons_label": addons_label,
        "editing_id": None,
        **wizard_context(venue, step),
        **_lists(venue, step),
    }
    context["next_label"] = STEP_LABELS.get(context["next_step"] or "", "")
    context.update(extra)
    if "form" not in context:
        context["form"] = _blank_form(venue, step)
    return render_page(
        f"venues/dashboard/{step}.html", f"{step}_panel" if block == "" else block, status=status, **context
    )


def _saved(step: str, venue: Venue, message: str, *, block: str | None = "", **extra: Any) -> Response:
    """After a change: the fresh fragment and a toast for HTMX, else a flash and a redirect."""

    def fresh() -> Response:
        settle()  # the lists as the change left them
        return _render(step, venue, block=block, **extra)

    return after_change(message, fresh, url_for(f"venues_dashboard.{step}"))


def _show_refusal(step: str, venue: Venue, errors: list[str] | None = None, **extra: Any) -> None:
    """If a service refuses, nothing is kept and the step shows its message (in ``errors`` or
    above the list) with its status, 409 or 422."""

    def render(refusal: DomainError) -> Response:
        if errors is None or isinstance(refusal, LimitReached):
            extra["error"] = refusal.message
        else:
            errors.append(refusal.message)
        return _render(step, venue, **extra)

    on_refusal(render)


def _invalid(step: str, venue: Venue, posted: FlaskForm, field: Any = None, **extra: Any) -> Response | None:
    """The step's page again (422) when ``posted`` doesn't validate. Else None, and a refusal of the
    change to come shows the page with its message, among ``field``'s errors (the form's own by
    default) or above the list."""
    if not posted.validate():
        return _render(step, venue, status=422, **extra)
    _show_refusal(step, venue, posted.form_errors if field is None else field.errors, **extra)
    return None


def _gallery_venue(image: VenueImage) -> int | None:
    """A photo of the venue's gallery belongs to it; a team member's photo is not one of them."""
    return image.venue_id if image.kind == "venue" else None


def _with_ids(form: FlaskForm, prefix: str) -> FlaskForm:
    """Edit forms share field names with the add form; give their HTML ids a prefix."""
    for f in form:
        f.id = f"{prefix}-{f.id}"
        f.label.field_id = f.id
    return form


# -- services ------------------------------------------------------------------------------------


def _service_form(venue: Venue, service: Any = None, *, submitted: bool = True) -> ServiceForm:
    form = ServiceForm(obj=service) if submitted else ServiceForm(formdata=None, obj=service)
    form.offer_needs(venue_resources(venue.id), service)
    if submitted:
        form.read_options(request.form)
        form.read_addons(request.form, service)
        form.read_needs(request.form)
    elif service is not None:
        form.show_options(service)
        form.show_addons(service)
    form.category_id.choices = [SelectChoice("", "No category")] + [
        SelectChoice(str(c.id), c.name) for c in get_categories()
    ]
    if service is not None:
        _with_ids(form, f"service-{service.id}")
        form.option_prefix = f"service-{service.id}-"
        if not submitted:
            form.price.data = format_price_input(service.price_minor)
            form.show_rules(service)
        if service.deposit_fixed_minor and form.deposit_fixed.data is None:  # shown, or kept when not sent
            form.deposit_fixed.data = format_price_input(service.deposit_fixed_minor)
    return form


def _save_options(venue: Venue, service: Service, form: ServiceForm) -> None:
    """The options, add-ons and needs posted become the service's; without them, the ones it has stay."""
    if form.options is not None:
        set_options(service, form.options)
    else:
        keep_options(service)
    if form.addons is not None:
        set_addons(service, form.addons)
    if form.needs is not None:
        set_needs(venue, service, form.needs, shared=form.shared_needs)


def options_label(service: Service) -> str:
    """ "60 min £45 · 90 min £65": a service's options as its row in the list shows them."""
    return " · ".join(f"{o.name} {format_money(o.price_minor, service.currency)}" for o in service.options)


def addons_label(service: Service) -> str:
    """ "+ Hot stones £15.00 · 15 min": a service's add-ons as its row in the list shows them."""
    return ", ".join(
        f"+ {a.name} {format_money(a.price_minor, service.currency)}"
        + (f" · {duration_label(a.extra_minutes)}" if a.extra_minutes else "")
        for a in service.addons
    )


def _add_service(venue: Venue, form: ServiceForm) -> str:
    service = save_service(venue, None, **form.service_fields())
    _save_options(venue, service, form)
    return _("Added “%(service_name)s”.", service_name=service.name)


def _update_service(venue: Venue, service: Service, form: ServiceForm) -> str:
    save_service(venue, service, **form.service_fields())
    _save_options(venue, service, form)
    return _("Saved “%(service_name)s”.", service_name=service.name)


# -- team ----------------------------------------------------------------------------------------


def _team_form(venue: Venue, member: TeamMember | None = None, *, submitted: bool = True) -> TeamMemberForm:
    form = TeamMemberForm(obj=member) if submitted else TeamMemberForm(formdata=None, obj=member)
    form.service_ids.choices = [SelectChoice(str(s.id), s.name) for s in venue.services]
    if member is not None:
        _with_ids(form, f"member-{member.id}")
        if not submitted:
            form.photo.data = None
            form.service_ids.data = [s.id for s in member.services]
            form.alt_text.data = member.photo.alt_text if member.photo else ""
    return form


def _member_fields(form: TeamMemberForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "title": form.title.data or "",
        "bio": form.bio.data or "",
        "service_ids": form.service_ids.data or [],
    }


def _save_member_photo(venue: Venue, member: TeamMember, form: TeamMemberForm) -> None:
    """A new upload replaces the photo; "remove" drops it; otherwise its alt text may change."""
    old = member.photo
    alt_text = (form.alt_text.data or "").strip()
    if form.has_photo:
        member.photo = add_image(venue, form.photo.data.read(), alt_text=alt_text, kind="team")
    elif old is not None and form.remove_photo.data:
        member.photo = None
    elif old is not None and alt_text and alt_text != old.alt_text:
        set_alt_text(venue, old.id, alt_text)
    if old is not None and member.photo is not old:
        delete_image(venue, old.id)


def _add_member(venue: Venue, form: TeamMemberForm) -> str:
    member = add_team_member(venue, **_member_fields(form))
    _save_member_photo(venue, member, form)
    return _("Added %(member_name)s to your team.", member_name=member.name)


def _update_member(venue: Venue, member: TeamMember, form: TeamMemberForm) -> str:
    update_team_member(venue, member.id, **_member_fields(form))
    _save_member_photo(venue, member, form)
    return _("Saved %(member_name)s.", member_name=member.name)


# -- FAQs ----------------------------------------------------------------------------------------


def _faq_form(venue: Venue, faq: FAQ, *, submitted: bool) -> FAQForm:
    return _with_ids(FAQForm(obj=faq) if submitted else FAQForm(formdata=None, obj=faq), f"faq-{faq.id}")


def _add_faq(venue: Venue, form: FAQForm) -> str:
    add_faq(venue, question=form.question.data, answer=form.answer.data)
    return _("Question added.")


def _update_faq(venue: Venue, faq: FAQ, form: FAQForm) -> str:
    update_faq(venue, faq.id, question=form.question.data, answer=form.answer.data)
    return _("Question saved.")


# -- photos --------------------------------------------------------------------------------------


def _add_photo(venue: Venue, form: ImageUploadForm) -> str:
    add_image(venue, form.photo.data.read(), alt_text=form.alt_text.data)
    note_change(venue, "images")
    return _("Photo added.")


@bp.post("/venue/images/<int:image_id>/cover")
@venue_required
@venue_row(VenueImage, name="image", venue_of=_gallery_venue)
def cover_image(venue: Venue, image: VenueImage) -> Response:
    set_cover(venue, image.id)
    note_change(venue, "images")
    return _saved("images", venue, _("Cover photo changed."))


@bp.post("/venue/images/<int:image_id>/alt")
@venue_required
@venue_row(VenueImage, name="image", venue_of=_gallery_venue)
def image_alt_text(venue: Venue, image: VenueImage) -> Response:
    form = _with_ids(AltTextForm(), f"image-{image.id}")
    card = {"block": "image_card", "item": image, "alt_form": form}
    if (invalid := _invalid("images", venue, form, form.alt_text, **card)) is not None:
        return invalid
    set_alt_text(venue, image.id, form.alt_text.data)
    note_change(venue, "images")
    return _saved("images", venue, _("Photo description saved."), block="image_card", item=image)


# -- add, edit, delete, move and reorder: the same for each list ---------------------------------


# step -> (the row loader of one item, what one item is called, singular endpoint word)
LISTS: dict[str, tuple[Callable[[Callable], Callable], Callable[[Any], str], str]] = {
    "services": (venue_row(Service, name="item", arg="item_id"), lambda i: f"“{i.name}”", "service"),
    "team": (venue_row(TeamMember, name="item", arg="item_id"), lambda i: i.name, "team_member"),
    "faqs": (venue_row(FAQ, name="item", arg="item_id"), lambda i: _("the question"), "faq"),
    "images": (
        venue_row(VenueImage, name="item", arg="item_id", venue_of=_gallery_venue),
        lambda i: _("the photo"),
        "image",
    ),
}
# step -> (its add form, made from the request; adding the item, saying what was added; the field
# a refusal's message goes under, None for the form's own errors)
ADDS: dict[str, tuple[Callable[[Venue], FlaskForm], Callable[[Venue, Any], str], str | None]] = {
    "services": (lambda venue: _service_form(venue), _add_service, None),
    "team": (_team_form, _add_member, None),
    "faqs": (lambda venue: FAQForm(), _add_faq, None),
    "images": (lambda venue: ImageUploadForm(), _add_photo, "photo"),
}
# step -> (the model and URL argument of the item edited in place, its edit form (posted or shown),
# saving it, saying what was saved; the prefix of the edit and row blocks). Photos have none.
EDITS: dict[str, tuple[type, str, Callable[..., FlaskForm], Callable[[Venue, Any, Any], str], str]] = {
    "services": (
        Service,
        "service_id",
        lambda venue, item, submitted: _service_form(venue, item, submitted=submitted),
        _update_service,
        "service",
    ),
    "team": (TeamMember, "member_id", _team_form, _update_member, "team"),
    "faqs": (FAQ, "faq_id", _faq_form, _update_faq, "faq"),
}


def _list_routes(step: str) -> None:
    own_item, label, word = LISTS[step]
    new_form, add, refusal_field = ADDS[step]

    def page(venue: Venue) -> Response:
        """The list and its add form; posted, the item is added and onboarding moves on."""
        if request.method == "GET":
            return _render(step, venue)
        form = new_form(venue)
        field = getattr(form, refusal_field) if refusal_field else None
        if (invalid := _invalid(step, venue, form, field, form=form)) is not None:
            return invalid
        message = add(venue, form)
        advance_onboarding(venue, step)
        return _saved(step, venue, message)

    def delete(venue: Venue, item: Any) -> Response:
        what = label(item)
        _show_refusal(step, venue)  # a service with bookings (app/venues/service.remove_service)
        remove_item(venue, step, item.id)
        return _saved(step, venue, _("Removed %(what)s.", what=what))

    def move_item(venue: Venue, item: Any, direction: str) -> Response:
        what = label(item)
        move(venue, step, item.id, direction)
        if step == "images":
            where = _("earlier") if direction == "up" else _("later")
        else:
            where = _("up") if direction == "up" else _("down")
        return _saved(step, venue, _("Moved %(what)s %(where)s.", what=what, where=where))

    def order(venue: Venue) -> Response:
        _show_refusal(step, venue)
        try:
            ids = [int(i) for i in request.form.getlist("ids")]
        except ValueError:
            raise ValidationFailed(_("The new order must list each item once.")) from None
        reorder(venue, step, ids)
        return _saved(step, venue, _("New order saved."))

    def done(venue: Venue) -> Response:
        ready, message = CONTINUE_NEEDS.get(step, (lambda v: True, ""))
        if not ready(venue):
            return _render(step, venue, block=None, status=422, continue_error=message)
        advance_onboarding(venue, step)
        return redirect(url_for(f"venues_dashboard.{wizard_context(venue, step)['next_step']}"))

    base = f"/venue/{step}"
    bp.add_url_rule(base, step, venue_required(page), methods=["GET", "POST"])
    bp.add_url_rule(
        f"{base}/<int:item_id>/delete", f"delete_{word}", venue_required(own_item(delete)), methods=["POST"]
    )
    bp.add_url_rule(
        f"{base}/<int:item_id>/move/<any(up, down):direction>",
        f"move_{word}",
        venue_required(own_item(move_item)),
        methods=["POST"],
    )
    bp.add_url_rule(f"{base}/order", f"order_{step}", venue_required(order), methods=["POST"])
    bp.add_url_rule(f"{base}/done", f"{step}_done", venue_required(done), methods=["POST"])


def _edit_route(step: str) -> None:
    model, arg, edit_form, update, block = EDITS[step]

    def edit(venue: Venue, item: Any) -> Response:
        """The item's edit form in place of its row; posted, the item saved and its row again."""
        submitted = request.method == "POST"
        form = edit_form(venue, item, submitted=submitted)
        editing = {"block": f"{block}_edit", "editing_id": item.id, "item": item, "edit_form": form}
        if not submitted:
            return _render(step, venue, **editing)
        if (invalid := _invalid(step, venue, form, **editing)) is not None:
            return invalid
        message = update(venue, item, form)
        return _saved(step, venue, message, block=f"{block}_row", item=item)

    own_item = venue_row(model, name="item", arg=arg)
    bp.add_url_rule(
        f"/venue/{step}/<int:{arg}>", f"edit_{LISTS[step][2]}", venue_required(own_item(edit)), methods=["GET", "POST"]
    )


for _step in LISTS:
    _list_routes(_step)
for _step in EDITS:
    _edit_route(_step)
