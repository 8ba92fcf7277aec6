"""Asking to delete an account: password, grace period, email, banner, sessions ended, cancel;
bad input, CSRF and someone else's request change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User, UserSession
from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.privacy.models import AccountDeletion
from tests.factories import PASSWORD
from tests.privacy.conftest import count, drain_jobs, fresh, sign_in_with_form

DELETE = "/account/privacy/delete"
CANCEL = "/account/privacy/delete/cancel"
GOOD = {"current_password": PASSWORD, "understand": "y"}


def live_requests() -> list[AccountDeletion]:
    return list(
        db.session.scalars(
            select(AccountDeletion).where(
                AccountDeletion.cancelled_at.is_(None), AccountDeletion.completed_at.is_(None)
            )
        )
    )


def test_asking_schedules_deletion_after_the_grace_period_ends_every_session_and_emails(
    app, web, new_browser, customer, outbox
):
    web.sign_in_as(customer)
    other_device = new_browser()
    other_device.sign_in_as(customer)
    assert "Delete my account" in web.get("/account/privacy").text

    response = web.post(DELETE, GOOD)

    assert response.status_code == 302 and response.location == "/"
    [request] = live_requests()
    grace = timedelta(days=app.config["ACCOUNT_DELETION_GRACE_DAYS"])
    assert abs(request.due_at - (request.requested_at + grace)) < timedelta(seconds=1)
    assert app.config["ACCOUNT_DELETION_GRACE_DAYS"] == 14
    assert fresh(User, customer.id).deletion_due_at == request.due_at
    assert count(UserSession, UserSession.user_id == customer.id, UserSession.ended_at.is_(None)) == 0
    for browser in (web, other_device):  # signed out everywhere
        assert browser.get("/account/privacy").status_code == 302
    drain_jobs()
    [message] = [m for m in outbox if customer.email in m.to]
    assert "will be deleted" in message.subject and request.due_at.strftime("%d %B %Y") in message.body
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "account.deletion_requested"))


def test_signing_in_during_the_grace_period_shows_the_banner_and_cancelling_keeps_the_account(web, customer, outbox):
    web.sign_in_as(customer)
    web.post(DELETE, GOOD)

    assert sign_in_with_form(web, customer.email).status_code == 302
    page = web.get("/account/privacy")
    assert 'id="deletion-banner"' in page.text and "Keep my account" in page.text
    assert 'id="deletion-banner"' in web.get("/").text  # on every page

    response = web.post(CANCEL, {})

    assert response.status_code == 302
    assert live_requests() == []
    assert fresh(User, customer.id).deletion_due_at is None
    assert 'id="deletion-banner"' not in web.get("/account/privacy").text
    drain_jobs()
    assert any("will not be deleted" in m.subject for m in outbox if customer.email in m.to)


def test_a_wrong_password_is_refused_and_changes_nothing(web, customer):
    web.sign_in_as(customer)
    response = web.post(DELETE, {"current_password": "not-my-password-at-all", "understand": "y"})
    assert response.status_code == 422 and "That password is not right." in response.text
    assert live_requests() == []
    assert web.get("/account/privacy").status_code == 200  # still signed in


def test_deleting_without_a_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    response = web.post(DELETE, GOOD, csrf=False)
    assert response.status_code == 400
    assert live_requests() == []
    assert count(UserSession, UserSession.user_id == customer.id, UserSession.ended_at.is_(None)) == 1


def test_cancelling_without_a_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    web.post(DELETE, GOOD)
    sign_in_with_form(web, customer.email)
    assert web.post(CANCEL, {}, csrf=False).status_code == 400
    assert len(live_requests()) == 1


def test_nobody_can_cancel_another_persons_deletion(web, new_browser, customer, make_user):
    web.sign_in_as(customer)
    web.post(DELETE, GOOD)
    mallory = make_user(name="Mallory Other")
    attacker = new_browser()
    attacker.sign_in_as(mallory)

    response = attacker.post(CANCEL, {"user_id": str(customer.id)})

    assert response.status_code == 409  # it only ever means "my own", and Mallory has none
    [request] = live_requests()
    assert request.user_id == customer.id
    assert fresh(User, customer.id).deletion_due_at is not None


def test_signed_out_visitors_are_sent_to_sign_in(web, customer):
    for path in (DELETE, CANCEL):
        response = web.post(path, GOOD)
        assert response.status_code == 302 and "/account/sign-in" in response.location
    assert live_requests() == []


def test_asking_twice_is_refused(web, customer):
    web.sign_in_as(customer)
    web.post(DELETE, GOOD)
    sign_in_with_form(web, customer.email)
    response = web.post(DELETE, GOOD)
    assert response.status_code == 409 and "already scheduled" in response.text
    assert len(live_requests()) == 1


def test_an_administrator_cannot_delete_their_own_account_here(web, admin):
    web.sign_in_as(admin)
    response = web.post(DELETE, GOOD)
    assert response.status_code == 409
    assert live_requests() == []


def test_a_cancelled_request_is_never_carried_out(ctx, web, customer):
    from app.privacy.deletion import erase_due_accounts

    web.sign_in_as(customer)
    web.post(DELETE, GOOD)
    sign_in_with_form(web, customer.email)
    web.post(CANCEL, {})
    db.session.execute(db.update(AccountDeletion).values(due_at=datetime.now(UTC) - timedelta(days=1)))

    assert erase_due_accounts() == []
    assert fresh(User, customer.id).email == customer.email


def test_an_account_is_not_erased_before_its_grace_period_ends(ctx, web, customer):
    from app.privacy.deletion import erase_due_accounts

    web.sign_in_as(customer)
    web.post(DELETE, GOOD)
    assert erase_due_accounts(now=datetime.now(UTC) + timedelta(days=13, hours=23)) == []
    assert erase_due_accounts(now=datetime.now(UTC) + timedelta(days=14, minutes=1)) == [customer.id]
