"""The provider's "Rooms and equipment" page (routes on the venues_dashboard blueprint): the venue's
resources, each with how many there are (add, rename, change how many, remove), as the FAQs and
team lists work: a row edits in place with HTMX, or on the full page without JavaScript; a change
answers HTMX with the fresh panel and a toast, a plain request with a redirect and a flash; a
refusal shows the page (or the row) again with its message (422, 409 at the limit). A resource
the URL names is loaded inside the provider's own venue (``venue_row``): another venue's is a
404. What services need of them is set in each service's form (app/venues/views/catalog.py);
the rules live in app/venues/resources.py."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.platform.errors import DomainError, LimitReached
from app.venues import resources
from app.venues.catalog_forms import ResourceForm
from app.venues.models import Resource, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import venue_required
from app.web.loaders import venue_row
from app.web.rendering import after_change, render_page
from app.web.unit_of_work import on_refusal, settle

PAGE = "venues/dashboard/rooms.html"


def _edit_form(resource: Resource, *, submitted: bool) -> ResourceForm:
    form = ResourceForm(obj=resource) if submitted else ResourceForm(formdata=None, obj=resource)
    for field in form:  # the add form has the same field names: give the HTML ids a prefix
        field.id = f"resource-{resource.id}-{field.id}"
        field.label.field_id = field.id
    return form


def _render(venue: Venue, *, block: str | None = "rooms_panel", status: int = 200, **extra: Any) -> Response:
    items = resources.venue_resources(venue.id)
    context: dict[str, Any] = {
        "venue": venue,
        "items": items,
        "at_limit": len(items) >= resources.MAX_RESOURCES,
        "limit": resources.MAX_RESOURCES,
        "editing_id": None,
        "error": "",
        **extra,
    }
    context.setdefault("form", ResourceForm(formdata=None))
    return render_page(PAGE, block, status=status, **context)


def _saved(venue: Venue, message: str, *, block: str = "rooms_panel", **extra: Any) -> Response:
    def fresh() -> Response:
        settle()  # the list as the change left it
        return _render(venue, block=block, **extra)

    return after_change(message, fresh, url_for("venues_dashboard.resources"))


def _show_refusal(venue: Venue, posted: ResourceForm | None = None, **extra: Any) -> None:
    """A refusal keeps nothing and shows the page (or the row being edited) with its message:
    under the posted form's field it names, else above the list."""

    def render(refusal: DomainError) -> Response:
        named = getattr(refusal, "field", None) or ""
        field = getattr(posted, named, None) if posted is not None and named in ("name", "quantity") else None
        if field is None or isinstance(refusal, LimitReached):
            extra["error"] = refusal.message
        else:
            field.errors = [*field.errors, refusal.message]
        return _render(venue, **extra)

    on_refusal(render)


@bp.route("/venue/rooms", methods=["GET", "POST"], endpoint="resources")
@venue_required
def resources_page(venue: Venue) -> Response:
    """The list and its add form; posted, a room or piece of equipment is added."""
    if request.method == "GET":
        return _render(venue)
    form = ResourceForm()
    if not form.validate():
        return _render(venue, status=422, form=form)
    _show_refusal(venue, form, form=form)
    resource = resources.add_resource(venue, name=form.name.data, quantity=form.quantity.data)
    return _saved(venue, _("Added “%(name)s”.", name=resource.name))


@bp.route("/venue/rooms/<int:resource_id>", methods=["GET", "POST"])
@venue_required
@venue_row(Resource)
def edit_resource(venue: Venue, resource: Resource) -> Response:
    """The resource's edit form in place of its row; posted, saved, and its row again."""
    submitted = request.method == "POST"
    form = _edit_form(resource, submitted=submitted)
    editing = {"block": "resource_edit", "editing_id": resource.id, "item": resource, "edit_form": form}
    if not submitted:
        return _render(venue, **editing)
    if not form.validate():
        return _render(venue, status=422, **editing)
    _show_refusal(venue, form, **editing)
    resources.update_resource(venue, resource.id, name=form.name.data, quantity=form.quantity.data)
    return _saved(venue, _("Saved “%(name)s”.", name=resource.name), block="resource_row", item=resource)


@bp.post("/venue/rooms/<int:resource_id>/delete")
@venue_required
@venue_row(Resource)
def delete_resource(venue: Venue, resource: Resource) -> Response:
    name = resource.name
    _show_refusal(venue)
    resources.remove_resource(venue, resource.id)
    return _saved(venue, _("Removed “%(name)s”.", name=name))
