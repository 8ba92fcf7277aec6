"""``flask invoices issue --month 2026-11`` and ``flask invoices credit CW-INV-2026-000001``:
the monthly job's work by hand, and a credit note against an invoice."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.invoicing.figures import month_of
from app.invoicing.models import InvoiceDocument
from app.invoicing.service import issue_credit_note, issue_month, previous_month
from app.platform.errors import DomainError
from app.platform.extensions import db

invoices_cli = AppGroup("invoices", help="The marketplace's invoices, credit notes and statements to venues.")


@invoices_cli.command("issue")
@click.option("--month", default=None, help="YYYY-MM; the month before this one when left out.")
def issue_command(month: str | None) -> None:
    """Issue each venue's invoice and statement for a month that has ended (again: nothing new)."""
    now = datetime.now(UTC)
    try:
        first = month_of(month) if month else previous_month(now)
    except ValueError:
        raise click.BadParameter("the month is written like 2026-11", param_hint="--month") from None
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        try:
            issued = issue_month(first, now=now)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        db.session.commit()
    for document in issued:
        click.echo(f"{document.number} {document.kind} venue {document.venue_id}")
    click.echo(f"Issued {len(issued)} document(s) for {first:%Y-%m}.")


@invoices_cli.command("credit")
@click.argument("number")
@click.option("--reason", required=True, help="Why the invoice is corrected (shown on the credit note).")
@click.option("--amount", type=int, default=None, help="In minor units (pence); all that is left when left out.")
def credit_command(number: str, reason: str, amount: int | None) -> None:
    """Issue a credit note against invoice NUMBER."""
    invoice_id = db.session.scalar(select(InvoiceDocument.id).where(InvoiceDocument.number == number))
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        try:
            note = issue_credit_note(invoice_id or 0, amount_minor=amount, reason=reason, now=datetime.now(UTC))
        except DomainError as error:
            raise click.ClickException(error.message) from None
        db.session.commit()
    click.echo(f"{note.number} corrects {number}: {note.gross_minor} {note.currency}.")
