"""The admins' synonyms page (``admin`` blueprint): list, add, change and remove the pairs of
words search treats as the same. The rules live in search.synonyms."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from app.accounts.access import role_required
from app.web.blueprints import admin as admin_bp
from app.web.loaders import admin_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal
from search.synonyms import (
    PHRASE_MAX_LENGTH,
    SearchSynonym,
    add_synonym,
    change_synonym,
    find_synonyms,
    remove_synonym,
)

TEMPLATE = "admin/synonyms.html"


class SynonymForm(FlaskForm):
    # Validated by search.synonyms.normalise_pair, which says what is wrong in words a person reads.
    term = StringField(_l("Word or phrase"))
    synonym = StringField(_l("Means the same as"))


class RemoveSynonymForm(FlaskForm):
    pass


# The pair a URL names, locked for the change.
locked_synonym = admin_row(SearchSynonym, name="row", arg="synonym_id", for_update=True)


@admin_bp.get("/synonyms")
@role_required("admin")
def synonyms(*, form: SynonymForm | None = None, error: str | None = None) -> Response:
    """The list; the POST routes below show it again with a refusal by calling this view."""
    q = request.args.get("q", "").strip()[:PHRASE_MAX_LENGTH]
    return render_page(
        TEMPLATE,
        synonyms=find_synonyms(q),
        q=q,
        form=form or SynonymForm(formdata=None),
        remove_form=RemoveSynonymForm(formdata=None),
        error=error,
    )


@admin_bp.post("/synonyms")
@role_required("admin")
def add_search_synonym() -> Response:
    form = SynonymForm()
    if not form.validate():
        abort(400)  # only the CSRF token can fail here
    on_refusal(lambda refusal: synonyms(form=form, error=refusal.message))
    row = add_synonym(form.term.data or "", form.synonym.data or "", actor_id=current_user.id)
    flash(
        _("Search now treats “%(term)s” and “%(synonym)s” as the same.", term=row.term, synonym=row.synonym), "success"
    )
    return redirect(url_for("admin.synonyms"), 303)


@admin_bp.post("/synonyms/<int:synonym_id>")
@role_required("admin")
@locked_synonym
def change_search_synonym(row: SearchSynonym) -> Response:
    form = SynonymForm()
    if not form.validate():
        abort(400)
    on_refusal(lambda refusal: synonyms(error=refusal.message))
    change_synonym(row, form.term.data or "", form.synonym.data or "", actor_id=current_user.id)
    flash(_("Changed: “%(term)s” and “%(synonym)s”.", term=row.term, synonym=row.synonym), "success")
    return redirect(url_for("admin.synonyms"), 303)


@admin_bp.post("/synonyms/<int:synonym_id>/remove")
@role_required("admin")
@locked_synonym
def remove_search_synonym(row: SearchSynonym) -> Response:
    if not RemoveSynonymForm().validate():
        abort(400)
    words = f"“{row.term}” and “{row.synonym}”"
    remove_synonym(row, actor_id=current_user.id)
    flash(_("Search no longer treats %(words)s as the same.", words=words), "success")
    return redirect(url_for("admin.synonyms"), 303)
