"""A learning platform simulated for the LTI tests: its own RSA key, its key set, an OAuth
token endpoint, a names-and-roles service and a dynamic-registration endpoint, all served
over loopback by a real HTTP server in a thread."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _new_key() -> tuple[str, dict]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = json.loads(JWK.from_pem(pem.encode()).export_public())
    public.update(kid=str(uuid.uuid4()), alg="RS256", use="sig")
    return pem, public


class Platform:
    """One simulated platform; ``url(path)`` names its endpoints."""

    def __init__(self) -> None:
        self.private_key, self.public_jwk = _new_key()
        self.client_id = "portal-tool"
        self.deployment_id = "deployment-1"
        self.members: list[dict] = []
        self.registrations: list[dict] = []
        self.token_requests: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                if path == "/jwks":
                    self._json({"keys": [platform.public_jwk]})
                elif path == "/members":
                    self._json(
                        {"id": "m", "context": {"id": "course-1"}, "members": platform.members}
                    )
                elif path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": platform.issuer,
                            "authorization_endpoint": platform.url("/auth"),
                            "token_endpoint": platform.url("/token"),
                            "jwks_uri": platform.url("/jwks"),
                            "registration_endpoint": platform.url("/register"),
                        }
                    )
                else:
                    self._json({}, 404)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                path = urlsplit(self.path).path
                if path == "/token":
                    platform.token_requests.append(parse_qs(body))
                    self._json(
                        {
                            "access_token": "platform-token",
                            "token_type": "Bearer",
                            "expires_in": 3600,
                        }
                    )
                elif path == "/register":
                    registration = json.loads(body)
                    registration["authorization"] = self.headers.get("Authorization")
                    platform.registrations.append(registration)
                    self._json(
                        {
                            **registration,
                            "client_id": "dynamic-client",
                            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                                "deployment_id": "dynamic-deployment"
                            },
                        }
                    )
                else:
                    self._json({}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.issuer + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(
        self,
        *,
        nonce: str,
        role: str = LEARNER,
        sub: str = "user-1",
        email: str = "ada@uni.example",
        message_type: str = "LtiResourceLinkRequest",
        expires_in: int = 300,
        key: str | None = None,
        kid: str | None = None,
        issuer: str | None = None,
        launch_url: str = "http://testserver/lti/launch/",
    ) -> str:
        moment = int(time.time())
        claims = {
            "iss": issuer or self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": moment - 5,
            "exp": moment + expires_in,
            "nonce": nonce,
            "email": email,
            "given_name": "Ada",
            "family_name": "Lovelace",
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": launch_url,
            CLAIM + "roles": [role],
            CLAIM + "context": {"id": "course-1", "title": "Algebra I"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.url("/members"),
                "service_versions": ["2.0"],
            },
        }
        if message_type == "LtiResourceLinkRequest":
            claims[CLAIM + "resource_link"] = {"id": "link-1", "title": "Lecture"}
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": self.url("/deep-link-return"),
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
            }
        return jwt.encode(
            claims,
            key or self.private_key,
            algorithm="RS256",
            headers={"kid": kid or self.public_jwk["kid"]},
        )
