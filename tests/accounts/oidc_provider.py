"""A small, real OpenID Connect provider for the tests, served over HTTP from a thread.

It speaks the parts of the protocol Google and Apple use with us: a discovery document,
a JWKS, an authorization endpoint that approves the configured test identity at once and
sends the browser back with a code (as a redirect, or as an auto-submitting form for
``response_mode=form_post``), and a token endpoint that checks the client, the code, the
redirect URI and the PKCE verifier (S256) and returns an RS256-signed id_token made with
joserfc, the JOSE library Authlib itself verifies tokens with. The Apple-like provider
also checks our client secret: an ES256 JWT signed with the app's key.

``tamper`` makes it misbehave the way a broken or hostile provider would (wrong audience,
expired token, another key, another nonce, ...), so the app's checks are tested against
real tokens over real HTTP, not mocks of Authlib.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from werkzeug.datastructures import Authorization
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

KID = "test-key-1"


@dataclass
class LocalProvider:
    """One provider (Google-like or Apple-like) under a path prefix of the shared server."""

    name: str
    client_id: str
    client_secret: str | None = None  # Google-like: a shared secret
    apple_team_id: str | None = None  # Apple-like: the client secret is a JWT signed with apple_key
    apple_key_id: str | None = None
    apple_key: ECKey | None = None
    base_url: str = ""
    redirect_prefix: str = "http://localhost/"  # where the app under test lives (the test client's host)
    identity: dict[str, Any] = field(default_factory=dict)
    apple_user_json: str | None = None  # Apple posts the name once, beside the code
    tamper: dict[str, Any] = field(default_factory=dict)
    deny: bool = False
    signing_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": KID}))
    # A stranger's key with the same kid: a token signed with it must fail the signature check.
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": KID}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_refusals: list[str] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.name}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def reset(self, identity: dict[str, Any]) -> None:
        self.identity = dict(identity)
        self.tamper, self.deny, self.apple_user_json = {}, False, None
        self.codes.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()
        self.token_refusals.clear()

    # -- endpoints ---------------------------------------------------------------------

    def handle(self, request: Request, path: str) -> Response:
        if path == "/.well-known/openid-configuration":
            return _json(self.discovery())
        if path == "/jwks":
            return _json({"keys": [self.signing_key.as_dict(private=False)]})
        if path == "/authorize" and request.method == "GET":
            return self.authorize(request)
        if path == "/token" and request.method == "POST":
            return self.token(request)
        return Response("not found", status=404)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile", "name"],
        }

    def authorize(self, request: Request) -> Response:
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or not redirect_uri.startswith(self.redirect_prefix):
            return Response("unknown client or redirect_uri", status=400)
        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            return Response("only the OpenID Connect code flow", status=400)
        if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
            return Response("PKCE (S256) is required", status=400)
        if not args.get("state") or not args.get("nonce"):
            return Response("state and nonce are required", status=400)
        if self.deny:
            answer = {"error": "access_denied", "state": args["state"]}
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "code_challenge": args["code_challenge"],
                "nonce": args["nonce"],
                "identity": dict(self.identity),
                "used": False,
            }
            answer = {"code": code, "state": args["state"]}
            if self.apple_user_json:
                answer["user"] = self.apple_user_json
        if args.get("response_mode") == "form_post":
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in answer.items()
            )
            page = (
                f"<!doctype html><title>Sign in with {self.name}</title>"
                f'<form method="post" action="{html.escape(redirect_uri)}">{fields}<button>Continue</button></form>'
            )
            return Response(page, mimetype="text/html")
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(answer)}"})

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        refusal = self._check_client(request, form) or self._check_code(form)
        if refusal:
            self.token_refusals.append(refusal)
            return _json({"error": "invalid_grant", "error_description": refusal}, status=400)
        grant = self.codes[form["code"]]
        grant["used"] = True
        access_token = secrets.token_urlsafe(24)
        response = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
        if not self.tamper.get("no_id_token"):
            response["id_token"] = self._id_token(grant, access_token)
        return _json(response)

    def _check_client(self, request: Request, form: dict[str, str]) -> str | None:
        auth: Authorization | None = request.authorization
        client_id = auth.username if auth and auth.type == "basic" else form.get("client_id")
        secret = auth.password if auth and auth.type == "basic" else form.get("client_secret")
        if client_id != self.client_id or not secret:
            return "unknown client"
        if self.apple_key is None:
            return None if secrets.compare_digest(secret, self.client_secret or "") else "wrong client secret"
        try:  # Apple-like: the secret is our ES256 JWT
            token = jwt.decode(secret, self.apple_key, algorithms=["ES256"])
        except (JoseError, ValueError) as exc:
            return f"client secret: {exc}"
        claims, now = token.claims, time.time()
        expected = {"iss": self.apple_team_id, "sub": self.client_id, "aud": "https://appleid.apple.com"}
        if token.header.get("kid") != self.apple_key_id or any(claims.get(k) != v for k, v in expected.items()):
            return "client secret: wrong claims"
        if not claims.get("iat", now + 1) <= now < claims.get("exp", 0):
            return "client secret: expired"
        return None

    def _check_code(self, form: dict[str, str]) -> str | None:
        grant = self.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or grant is None or grant["used"]:
            return "unknown or used code"
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return "redirect_uri differs"
        verifier = form.get("code_verifier")
        if not verifier:
            return "missing code_verifier"
        if create_s256_code_challenge(verifier) != grant["code_challenge"]:
            return "code_verifier doesn't match"
        return None

    def _id_token(self, grant: dict[str, Any], access_token: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 600,
            "nonce": grant["nonce"],
            "at_hash": create_half_hash(access_token, "RS256").decode(),
            **grant["identity"],
        }
        tamper = self.tamper
        if "aud" in tamper:
            claims["aud"] = tamper["aud"]
        if "iss" in tamper:
            claims["iss"] = tamper["iss"]
        if "nonce" in tamper:
            claims["nonce"] = tamper["nonce"]
        if "expired_seconds_ago" in tamper:
            claims["iat"] = now - 3600
            claims["exp"] = now - tamper["expired_seconds_ago"]
        key = self.other_key if tamper.get("other_key") else self.signing_key
        return jwt.encode({"alg": "RS256", "kid": KID}, claims, key)


class ProviderServer:
    """The providers behind one threaded werkzeug server on 127.0.0.1 (a free port).

    ``host`` is the name the app and the browser use for it: "localhost" makes it another
    site than an app at 127.0.0.1, as Google and Apple are, for the browser's cookie rules.
    """

    def __init__(self, providers: list[LocalProvider], host: str = "127.0.0.1"):
        self.providers = {provider.name: provider for provider in providers}
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.base_url = f"http://{host}:{self.server.server_port}"
        for provider in providers:
            provider.base_url = self.base_url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path == "/favicon.ico":  # browsers ask; a 404 would be a console error in the journeys
            return Response(status=204)(environ, start_response)
        name, _, rest = request.path.lstrip("/").partition("/")
        provider = self.providers.get(name)
        response = provider.handle(request, "/" + rest) if provider else Response("not found", status=404)
        return response(environ, start_response)

    def start(self) -> ProviderServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")
