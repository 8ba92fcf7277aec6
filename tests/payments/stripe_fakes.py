"""Stand-ins for Stripe on loopback, driven through the real ``stripe`` library over HTTP.

- ``LocalStripe``: the ``localstripe`` server (PaymentIntents, Refunds, signed webhooks) in a
  subprocess, bound to 127.0.0.1 on a free port, its pickle file moved into a temporary
  directory (it binds every interface and writes /tmp/localstripe.pickle on its own).
- ``CheckoutFake``: a small Flask app in a thread for the Checkout Session and Event endpoints,
  which localstripe lacks (and a recording Refunds endpoint, so settling tests need no
  PaymentIntent). It records every create call with its Idempotency-Key header.
- Builders for Stripe-shaped events and ``sign()`` for the Stripe-Signature header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

# -- signing --------------------------------------------------------------------------------


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send: HMAC-SHA256 over "{t}.{payload}"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# -- events ---------------------------------------------------------------------------------


def open_stripe_payment(order) -> Any:
    """An open Stripe Checkout Session for ``order``, as start_payment records it (committed)."""
    from app.payments.models import Payment, PaymentStatus
    from app.platform.extensions import db

    payment = Payment(
        order_id=order.id,
        gateway="stripe",
        session_id=new_id("cs"),
        amount_minor=order.total_minor,
        currency=order.currency,
        status=PaymentStatus.OPEN,
        checkout_url="https://checkout.stripe.test/c/pay/x",
        expires_at=order.hold_expires_at,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(8)}"


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }


def session_object(
    session_id: str,
    *,
    order_id: int | None,
    status: str = "complete",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    amount_total: int = 6000,
    currency: str = "gbp",
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": amount_total,
        "currency": currency,
        "client_reference_id": str(order_id) if order_id is not None else None,
        "metadata": {"order_id": str(order_id)} if order_id is not None else {},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": status,
    }


def checkout_event(kind: str, session_id: str, *, order_id: int | None, **fields) -> dict:
    """A checkout.session.* event; ``fields`` go to session_object (status, payment_status, ...)."""
    defaults = {
        "checkout.session.completed": {"status": "complete", "payment_status": "paid"},
        "checkout.session.async_payment_succeeded": {"status": "complete", "payment_status": "paid"},
        "checkout.session.async_payment_failed": {"status": "complete", "payment_status": "unpaid"},
        "checkout.session.expired": {"status": "expired", "payment_status": "unpaid"},
    }.get(kind, {})
    event_fields = {k: fields.pop(k) for k in ("event_id", "created") if k in fields}
    return event(kind, session_object(session_id, order_id=order_id, **{**defaults, **fields}), **event_fields)


def charge_refunded_event(payment_intent: str, refunds: list[dict[str, Any]], *, amount: int, **kwargs) -> dict:
    """charge.refunded with its refunds embedded (refunds.data), as older API versions send it."""
    refunded = sum(r["amount"] for r in refunds if r.get("status") == "succeeded")
    charge = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "payment_intent": payment_intent,
        "refunded": refunded >= amount,
        "refunds": {"object": "list", "data": refunds, "has_more": False},
    }
    return event("charge.refunded", charge, **kwargs)


def body(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


# -- form bodies as stripe-python sends them ------------------------------------------------


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``line_items[0][price_data][currency]=gbp`` -> {"line_items": [{"price_data": {...}}]}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, *rest = re.findall(r"[^\[\]]+", key)
        node = root
        parts = [head, *rest]
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _lists(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


# -- servers on loopback --------------------------------------------------------------------


class ThreadedServer:
    """A WSGI app served by werkzeug in a daemon thread on 127.0.0.1 (a free port)."""

    def __init__(self, wsgi_app, *, threaded: bool = True):
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, wsgi_app, threaded=threaded)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"wsgi-{self.port}", daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class CreateCall:
    params: dict[str, Any]
    idempotency_key: str | None
    authorization: str | None


@dataclass
class CheckoutFake:
    """Checkout Sessions (create, retrieve) and Events (list), Stripe-shaped."""

    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: list[CreateCall] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    event_queries: list[dict[str, Any]] = field(default_factory=list)
    by_idempotency_key: dict[str, str] = field(default_factory=dict)
    refunds: list[CreateCall] = field(default_factory=list)
    refund_status: str = "pending"  # what POST /v1/refunds answers
    fail_with: tuple[int, dict[str, Any]] | None = None  # the next response, once

    def reset(self) -> None:
        self.sessions.clear()
        self.creates.clear()
        self.events.clear()
        self.event_queries.clear()
        self.by_idempotency_key.clear()
        self.refunds.clear()
        self.refund_status = "pending"
        self.fail_with = None

    # what tests do "on Stripe's side"
    def complete(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(status="complete", payment_status=payment_status, payment_intent=new_id("pi"))
        return session

    def expire(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(status="expired", payment_status="unpaid")
        return session

    def add_event(self, data: dict[str, Any]) -> dict[str, Any]:
        self.events.append(data)
        return data

    def wsgi_app(self) -> Flask:
        app = Flask("checkout_fake")

        def error(status: int, message: str, kind: str = "invalid_request_error"):
            return jsonify(error={"type": kind, "message": message}), status

        @app.before_request
        def fail_once():
            if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
                return error(401, "Invalid API Key provided.", "invalid_request_error")
            if self.fail_with is not None:
                status, payload = self.fail_with
                self.fail_with = None
                return jsonify(payload), status
            return None

        @app.post("/v1/checkout/sessions")
        def create_session():
            params = unflatten(list(request.form.items(multi=True)))
            key = request.headers.get("Idempotency-Key")
            self.creates.append(CreateCall(params, key, request.headers.get("Authorization")))
            if key and key in self.by_idempotency_key:
                return jsonify(self.sessions[self.by_idempotency_key[key]])
            session_id = new_id("cs")
            items = params.get("line_items", [])
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "expires_at": int(params["expires_at"]),
                "created": int(time.time()),
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "mode": params.get("mode"),
                "currency": items[0]["price_data"]["currency"] if items else None,
                "amount_total": sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items),
                "customer_email": params.get("customer_email"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
            }
            self.sessions[session_id] = session
            if key:
                self.by_idempotency_key[key] = session_id
            return jsonify(session)

        @app.get("/v1/checkout/sessions/<session_id>")
        def retrieve_session(session_id: str):
            if session_id not in self.sessions:
                return error(404, f"No such checkout.session: '{session_id}'")
            return jsonify(self.sessions[session_id])

        @app.post("/v1/refunds")
        def create_refund():
            params = unflatten(list(request.form.items(multi=True)))
            self.refunds.append(CreateCall(params, request.headers.get("Idempotency-Key"), None))
            return jsonify(
                id=new_id("re"),
                object="refund",
                amount=int(params["amount"]),
                payment_intent=params.get("payment_intent"),
                status=self.refund_status,
            )

        @app.get("/v1/events")
        def list_events():
            query = unflatten(list(request.args.items(multi=True)))
            self.event_queries.append(query)
            since = int(query.get("created", {}).get("gte", 0))
            types = query.get("types") or []
            found = [e for e in self.events if e["created"] >= since and (not types or e["type"] in types)]
            found.sort(key=lambda e: e["created"], reverse=True)  # newest first, as Stripe lists
            return jsonify(object="list", url="/v1/events", has_more=False, data=found)

        return app


# -- localstripe ----------------------------------------------------------------------------

# Run as ``python -c WRAPPER <pickle path>``: localstripe's own start() binds "::" on a fixed
# port and pickles to /tmp; this binds 127.0.0.1 on a free port and prints it.
WRAPPER = r"""
import pickle, socket, sys
import localstripe.resources as resources
from aiohttp import web
from localstripe.server import app

path = sys.argv[1]

def load(self):
    try:
        with open(path, "rb") as f:
            self.clear(); self.update(pickle.load(f))
    except FileNotFoundError:
        pass

def dump(self):
    with open(path, "wb") as f:
        pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

resources.Store.try_load_from_disk = load
resources.Store.dump_to_disk = dump
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print("PORT", sock.getsockname()[1], flush=True)
web.run_app(app, sock=sock, print=None, access_log=None)
"""


class LocalStripe:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.pickle = workdir / "localstripe.pickle"
        self.log = workdir / "localstripe.log"
        self.process: subprocess.Popen | None = None
        self._log_file = None
        self.url = ""

    def __enter__(self) -> LocalStripe:
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, str(self.pickle)],
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            cwd=self.workdir,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()  # blocks until bound (or the process died)
        if not line.startswith("PORT "):
            self.__exit__()
            raise RuntimeError(f"localstripe did not start: {self.log.read_text()[-2000:]}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        self._wait_until_up()
        return self

    def _wait_until_up(self, timeout: float = 15) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=1).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def register_webhook(self, hook_id: str, url: str, secret: str, events: list[str] | None = None) -> None:
        import urllib.request

        payload = {"url": url, "secret": secret, **({"events": events} if events is not None else {})}
        req = urllib.request.Request(
            f"{self.url}/_config/webhooks/{hook_id}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(req, timeout=5).read()

    def __exit__(self, *exc) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None
