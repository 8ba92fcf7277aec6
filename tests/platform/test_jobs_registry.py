"""Each domain registers its own jobs and schedule (its wiring.init_app); create_app() calls
them all, so a worker started from an app knows every task. app/platform/jobs.py knows none."""

import ast
from pathlib import Path

from app.platform.jobs import queue

ROOT = Path(__file__).resolve().parents[2]

TASKS = {
    "analytics.forget_old_searches",
    "analytics.refresh_rollup",
    "booking.expire_holds",
    "booking.purge_cart",
    "checkout.lapse_requests",
    "email.deliver",
    "email.purge_deliveries",
    "invoicing.issue_last_month",
    "invoicing.issue_receipt",
    "invoicing.issue_refund_note",
    "jobs.retry_stalled",
    "notifications.invitations_back",
    "memberships.renew_due",
    "memberships.cancel_subscription",
    "notifications.plan_missing",
    "notifications.send_agendas",
    "notifications.send_reminder",
    "payments.charge_fee",
    "payments.issue_refund",
    "payments.reconcile",
    "payments.settle_event",
    "payouts.reverse_transfer",
    "payouts.send_transfer",
    "privacy.build_export",
    "privacy.erase_due_accounts",
    "privacy.retention",
    "rate_limits.prune",
    "reviews.ask_due",
    "reviews.request",
    "search.refresh_free_time",
    "search.reindex_venues",
    "sms.deliver",
    "team_schedules.sync_calendars",
    "waitlist.lapse_offers",
    "waitlist.match_day",
    "webhooks.deliver",
    "webhooks.prune_log",
}

SCHEDULE = {
    "expire-holds": "*/5 * * * *",
    "purge-cart": "0 * * * *",
    "lapse-requests": "*/5 * * * *",
    "payments-reconcile": "*/10 * * * *",
    "purge-email-deliveries": "17 3 * * *",
    "plan-missing-reminders": "*/15 * * * *",
    "venue-agendas": "5 * * * *",  # tomorrow's agenda, at 18:00 each venue's time
    "review-requests": "*/10 * * * *",  # visits over for the grace period (docs/reviews.md)
    "invitations-back": "35 * * * *",  # nudges, win-backs, birthdays (docs/invitations-back.md)
    "memberships-renew": "*/10 * * * *",  # renewals, grace, pauses, ends (docs/memberships.md)
    "invoices-issue-month": "0 4 1 * *",  # each venue's invoice and statement for last month (docs/invoices.md)
    "privacy-retention": "41 3 * * *",
    "erase-due-accounts": "7 * * * *",
    "waitlist-lapse-offers": "* * * * *",
    "search-free-time": "* * * * *",
    "analytics-rollup": "* * * * *",  # the rollups within a minute of a change (docs/analytics.md)
    "analytics-forget-searches": "17 3 * * *",
    "rate-limits-prune": "23 * * * *",
    "sync-calendars": "*/5 * * * *",  # team members' CalDAV calendars, both ways (docs/calendar-sync.md)
    "webhooks-prune-log": "29 3 * * *",
}


def test_an_app_knows_every_task(app):
    # tests.*: probes that test modules register for themselves (tests/ops)
    known = {name for name in queue.tasks if not name.startswith(("builtin:", "procrastinate.", "tests."))}
    assert known == TASKS


def test_every_domain_puts_its_periodic_jobs_on_the_schedule_once(app):
    periodic = {t.periodic_id: t.cron for t in queue.periodic_registry.periodic_tasks.values()}
    periodic.pop("retry-stalled", None)  # the worker's own, registered when it starts
    assert periodic == SCHEDULE


def test_the_job_queue_imports_no_domain():
    tree = ast.parse((ROOT / "app" / "platform" / "jobs.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    ours = {m for m in imported if m.startswith(("app.", "search"))}
    assert ours <= {"app.platform", "app.platform.extensions"}, ours  # the platform only, no domain
    assert not (ROOT / "app" / "tasks.py").exists()
