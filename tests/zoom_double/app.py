"""A local double of Zoom's REST API v2, OAuth token endpoint, file downloads and webhooks.

Zoom itself cannot be reached from the tests (no internet); this ASGI app stands in for it.
Every API request is checked against the request schemas of Zoom's published API description
(``zoom_api_subset.json``, see ``README.md`` beside it) and every answer is checked against
its response schemas before it is sent, so the portal cannot drift from Zoom's contract
without a test failing. It rate-limits like Zoom (per account and rate-limit label, HTTP 429
with Zoom's headers) and signs webhooks like Zoom (``x-zm-signature``).

Run: ``uvicorn tests.zoom_double.app:app``. Control endpoints live under ``/_double/``.
It imports no Django.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from openapi_schema_validator import OAS30Validator


def _any_of(node: Any) -> Any:
    """Zoom's description uses ``oneOf`` for alternatives that overlap (userId: ID, e-mail or
    "me"; account settings: several optional-only objects), so a valid value matches more
    than one branch. Zoom accepts and sends such values: read every ``oneOf`` as ``anyOf``."""
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_of(item) for item in node]
    return node


SPEC = _any_of(json.loads((Path(__file__).with_name("zoom_api_subset.json")).read_text()))
ACCOUNT_ID = os.environ.get("ZOOM_DOUBLE_ACCOUNT_ID", "double-account")
CLIENT_ID = os.environ.get("ZOOM_DOUBLE_CLIENT_ID", "double-client")
CLIENT_SECRET = os.environ.get("ZOOM_DOUBLE_CLIENT_SECRET", "double-secret")
WEBHOOK_SECRET = os.environ.get("ZOOM_DOUBLE_WEBHOOK_SECRET", "double-webhook-secret")
TOKEN_SECONDS = 3600
# Business+ limits of Zoom's rate-limit table (requests per second per label)
DEFAULT_QPS = {"Light": 80, "Medium": 60, "Heavy": 40}


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _operations() -> list[tuple[str, re.Pattern, str, dict]]:
    found = []
    for template, item in SPEC["paths"].items():
        pattern = re.compile(
            "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        )
        for method, operation in item.items():
            if method == "parameters":
                continue
            label = re.search(r"Rate Limit Label[^`]*`(\w+)`", operation.get("description", ""))
            operation = {**operation, "x-label": label.group(1) if label else "Light"}
            operation.setdefault("parameters", [])
            operation["parameters"] = [*item.get("parameters", []), *operation["parameters"]]
            found.append((method.upper(), pattern, template, operation))
    # literal paths before templated ones (/users/summary before /users/{userId})
    found.sort(key=lambda entry: entry[2].count("{"))
    return found


OPERATIONS = _operations()


def _validate(schema: dict, value: Any, where: str) -> None:
    errors = sorted(OAS30Validator(schema).iter_errors(value), key=str)
    if errors:
        raise ApiError(400, 300, f"{where}: {errors[0].message}")


def _coerce(schema: dict, raw: str) -> Any:
    options = schema.get("oneOf", []) + schema.get("anyOf", [])
    kinds = [schema.get("type")] + [option.get("type") for option in options]
    if "integer" in kinds and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


class Double:
    """All state of the fake account; one lock serialises requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.users: dict[str, dict] = {}
        self.meetings: dict[int, dict] = {}
        self.registrants: dict[int, dict[str, dict]] = {}
        self.recordings: dict[int, dict] = {}  # meeting id -> recording object
        self.files: dict[str, bytes] = {}
        self.tokens: dict[str, float] = {}
        self.log: list[dict] = []
        self.violations: list[str] = []
        self.faults: list[dict] = []
        self.live_events: list[dict] = []
        self.qps = dict(DEFAULT_QPS)
        self.retry_after_seconds = 1
        self.buckets: dict[str, list[float]] = {}
        self.seats = 100
        self.tokens_issued = 0
        self.webhook_target = ""
        self.deliveries: list[dict] = []
        self.settings_locks = {"waiting_room": True, "auto_recording": True}

    # --- rate limits like Zoom's ----------------------------------------------------------
    def check_rate(self, label: str) -> dict:
        limit = self.qps.get(label, 80)
        moment = time.monotonic()
        window = [t for t in self.buckets.get(label, []) if moment - t < 1.0]
        if len(window) >= limit:
            self.buckets[label] = window
            raise ApiError(
                429,
                429,
                "You have reached the maximum per-second rate limit for this API. Try again later.",
                {
                    "X-RateLimit-Category": label,
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(self.retry_after_seconds),
                },
            )
        window.append(moment)
        self.buckets[label] = window
        return {
            "X-RateLimit-Category": label,
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - len(window)),
        }

    def take_fault(self, method: str, path: str) -> dict | None:
        for fault in self.faults:
            if fault["method"] in (method, "*") and re.search(fault["path"], path):
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- webhooks -------------------------------------------------------------------------
    def sign(self, body: bytes, timestamp: int | None = None) -> dict:
        timestamp = int(time.time()) if timestamp is None else timestamp
        message = f"v0:{timestamp}:{body.decode()}".encode()
        digest = hmac.new(WEBHOOK_SECRET.encode(), message, hashlib.sha256).hexdigest()
        return {
            "x-zm-request-timestamp": str(timestamp),
            "x-zm-signature": f"v0={digest}",
            "content-type": "application/json",
        }

    def webhook(self, event: str, payload: dict) -> dict:
        body = json.dumps(
            {"event": event, "event_ts": int(time.time() * 1000), "payload": payload}
        ).encode()
        delivery = {"headers": self.sign(body), "body": body.decode()}
        self.deliveries.append(delivery)
        if self.webhook_target:
            # delivered from another thread: the portal may call the double while handling it
            threading.Thread(target=self._deliver, args=(body, delivery), daemon=True).start()
        return delivery

    def _deliver(self, body: bytes, delivery: dict) -> None:
        request = urllib.request.Request(  # noqa: S310 (loopback target set by the tests)
            self.webhook_target, data=body, headers=delivery["headers"], method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                delivery["status"] = response.status
        except Exception as error:  # noqa: BLE001 (recorded for the test to see)
            delivery["status"] = getattr(error, "code", 0)


STATE = Double()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_view(user: dict) -> dict:
    return {
        key: user[key]
        for key in (
            "id",
            "email",
            "first_name",
            "last_name",
            "type",
            "status",
            "role_id",
            "created_at",
            "user_created_at",
            "timezone",
            "verified",
            "dept",
            "last_login_time",
            "language",
            "pmi",
        )
        if key in user
    }


# --- the API operations -----------------------------------------------------------------------
def api(method: str, template: str, params: dict, query: dict, body: Any) -> tuple[int, Any]:
    state = STATE
    key = (method, template)
    if key == ("POST", "/users"):
        info = body["user_info"]
        email = info["email"].lower()
        if any(u["email"] == email for u in state.users.values()):
            raise ApiError(409, 1005, "User already in the account.")
        if info["type"] == 2 and _licensed_count() >= state.seats:
            raise ApiError(400, 2034, "Your request was not accepted because no licence is free.")
        user = {
            "id": secrets.token_urlsafe(16)[:22],
            "email": email,
            "first_name": info.get("first_name", ""),
            "last_name": info.get("last_name", ""),
            "type": info["type"],
            "status": "active",
            "role_id": "2",
            "created_at": _now(),
            "user_created_at": _now(),
            "verified": 1,
            "timezone": "Europe/Berlin",
            "pmi": 1000000000 + len(state.users),
        }
        state.users[user["id"]] = user
        return 201, {k: user[k] for k in ("id", "email", "first_name", "last_name", "type")}
    if key == ("GET", "/users"):
        status = query.get("status", "active")
        size = int(query.get("page_size", 30))
        rows = [u for u in state.users.values() if u["status"] == status]
        start = int(query.get("next_page_token") or 0)
        page = rows[start : start + size]
        following = start + size if start + size < len(rows) else None
        return 200, {
            "page_size": size,
            "total_records": len(rows),
            "next_page_token": str(following) if following else "",
            "users": [_user_view(u) for u in page],
        }
    if key == ("GET", "/users/summary"):
        licensed = _licensed_count()
        basic = sum(1 for u in state.users.values() if u["type"] == 1)
        return 200, {
            "licensed_users_count": licensed,
            "basic_users_count": basic,
            "on_prem_users_count": 0,
            "room_users_count": 0,
            "pending_users_count": 0,
            "join_only_users_count": 0,
            "total_users_count": licensed + basic,
        }
    if template.startswith("/users/{userId}"):
        user = _user(params["userId"])
        if key == ("GET", "/users/{userId}"):
            return 200, _user_view(user)
        if key == ("PATCH", "/users/{userId}"):
            if body.get("type") == 2 and user["type"] != 2 and _licensed_count() >= state.seats:
                raise ApiError(
                    400, 2034, "Your request was not accepted because no licence is free."
                )
            for field in ("type", "first_name", "last_name"):
                if field in body:
                    user[field] = body[field]
            return 204, None
        if key == ("PUT", "/users/{userId}/status"):
            user["status"] = "active" if body["action"] == "activate" else "inactive"
            return 204, None
        if key == ("DELETE", "/users/{userId}"):
            del state.users[user["id"]]
            return 204, None
        if key == ("POST", "/users/{userId}/meetings"):
            return 201, _create_meeting(user, body)
        if key == ("GET", "/users/{userId}/meetings"):
            return 200, _list_meetings(user, query)
    if key == ("GET", "/accounts/{accountId}/settings"):
        return 200, _account_settings()
    if key == ("GET", "/accounts/{accountId}/lock_settings"):
        return 200, {
            "schedule_meeting": {"host_video": False},
            "in_meeting": {"waiting_room": state.settings_locks["waiting_room"]},
            "recording": {"auto_recording": state.settings_locks["auto_recording"]},
        }
    meeting_key = params.get("meetingId")
    if template == "/live_meetings/{meetingId}/events":
        meeting = _meeting(meeting_key)
        if meeting["status"] != "started":
            raise ApiError(400, 3000, "The meeting is not in progress.")
        state.live_events.append({"meeting": meeting["id"], "method": body["method"]})
        if body["method"] == "recording.start":
            meeting["recording"] = True
        elif body["method"] == "recording.stop":
            meeting["recording"] = False
        return 202, None
    if template.startswith("/meetings/{meetingId}/recordings"):
        recording = state.recordings.get(_meeting_number(meeting_key))
        if recording is None:
            raise ApiError(404, 3301, "This recording does not exist.")
        if method == "GET":
            return 200, recording
        for file in recording["recording_files"]:
            state.files.pop(file["id"], None)
        del state.recordings[_meeting_number(meeting_key)]
        return 204, None
    meeting = _meeting(meeting_key)
    if key == ("GET", "/meetings/{meetingId}"):
        return 200, _meeting_view(meeting)
    if key == ("PATCH", "/meetings/{meetingId}"):
        _apply(meeting, body)
        return 204, None
    if key == ("DELETE", "/meetings/{meetingId}"):
        del state.meetings[meeting["id"]]
        return 204, None
    if key == ("PUT", "/meetings/{meetingId}/status"):
        meeting["status"] = "finished" if body["action"] == "end" else "waiting"
        return 204, None
    if key == ("POST", "/meetings/{meetingId}/registrants"):
        if meeting["settings"].get("approval_type") == 2:
            raise ApiError(400, 3000, "Registration has not been enabled for this meeting.")
        registrant_id = secrets.token_urlsafe(16)[:22]
        registrant = {
            "id": registrant_id,
            "email": body["email"],
            "first_name": body["first_name"],
            "status": "pending" if meeting["settings"]["approval_type"] == 1 else "approved",
            "join_url": f"https://double.zoom.invalid/w/{meeting['id']}?tk={secrets.token_urlsafe(24)}",
        }
        state.registrants.setdefault(meeting["id"], {})[registrant_id] = registrant
        return 201, {
            "id": meeting["id"],
            "join_url": registrant["join_url"],
            "registrant_id": registrant_id,
            "start_time": meeting["start_time"],
            "topic": meeting["topic"],
            "occurrences": [],
            "participant_pin_code": 380303,
        }
    if key == ("PUT", "/meetings/{meetingId}/registrants/status"):
        registrants = state.registrants.get(meeting["id"], {})
        new = {"approve": "approved", "cancel": "denied", "deny": "denied"}[body["action"]]
        for entry in body.get("registrants", []):
            if entry.get("id") in registrants:
                registrants[entry["id"]]["status"] = new
        return 204, None
    raise ApiError(404, 404, "Not implemented by the double.")


def _licensed_count() -> int:
    return sum(1 for u in STATE.users.values() if u["type"] == 2 and u["status"] == "active")


def _user(key: str) -> dict:
    for user in STATE.users.values():
        if key in (user["id"], user["email"]):
            return user
    raise ApiError(404, 1001, "User does not exist.")


def _meeting_number(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        for meeting in STATE.meetings.values():
            if meeting["uuid"] == key:
                return meeting["id"]
        for number, recording in STATE.recordings.items():
            if recording["uuid"] == key:
                return number
    raise ApiError(404, 3001, "Meeting does not exist.")


def _meeting(key: str) -> dict:
    meeting = STATE.meetings.get(_meeting_number(key))
    if meeting is None:
        raise ApiError(404, 3001, "Meeting does not exist.")
    return meeting


def _apply(meeting: dict, body: dict) -> None:
    for field in ("topic", "agenda", "start_time", "duration", "timezone", "password"):
        if field in body:
            meeting[field] = body[field]
    for field, value in (body.get("settings") or {}).items():
        meeting["settings"][field] = value


def _list_meetings(user: dict, query: dict) -> dict:
    """A user's meetings, one page (``page_size`` at most 300, ``next_page_token``)."""
    mine = [m for m in STATE.meetings.values() if m["host_id"] == user["id"]]
    if query.get("type") in ("upcoming", "upcoming_meetings", "live"):
        mine = [m for m in mine if m["status"] != "finished"]
    size = int(query.get("page_size", 30))
    start = int(query.get("next_page_token") or 0)
    page = mine[start : start + size]
    fields = ("agenda", "created_at", "duration", "host_id", "id", "join_url", "start_time")
    answer = {
        "page_size": size,
        "total_records": len(mine),
        "next_page_token": str(start + size) if start + size < len(mine) else "",
        "meetings": [
            {
                **{k: _meeting_view(m)[k] for k in fields if k in _meeting_view(m)},
                "timezone": m["timezone"],
                "topic": m["topic"],
                "type": m["type"],
                "uuid": m["uuid"],
            }
            for m in page
        ],
    }
    return answer


def _create_meeting(user: dict, body: dict) -> dict:
    number = 80000000000 + len(STATE.meetings) + secrets.randbelow(10**6) * 100
    meeting = {
        "id": number,
        "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
        "host_id": user["id"],
        "host_email": user["email"],
        "topic": body.get("topic", ""),
        "agenda": body.get("agenda", ""),
        "type": body.get("type", 2),
        "status": "waiting",
        "start_time": body.get("start_time", _now()),
        "duration": body.get("duration", 60),
        "timezone": body.get("timezone", "UTC"),
        "password": body.get("password", ""),
        "created_at": _now(),
        "settings": {
            "waiting_room": False,
            "join_before_host": True,
            "approval_type": 2,
            "meeting_authentication": False,
            "auto_recording": "cloud",
            **(body.get("settings") or {}),
        },
        "recording": False,
    }
    STATE.meetings[number] = meeting
    return _meeting_view(meeting)


def _meeting_view(meeting: dict) -> dict:
    view = {k: v for k, v in meeting.items() if k not in ("recording",)}
    view["join_url"] = f"https://double.zoom.invalid/j/{meeting['id']}"
    view["start_url"] = f"https://double.zoom.invalid/s/{meeting['id']}?zak=double"
    view["registration_url"] = f"https://double.zoom.invalid/meeting/register/{meeting['id']}"
    view["settings"] = copy.deepcopy(meeting["settings"])
    return view


def _account_settings() -> dict:
    return {
        "schedule_meeting": {
            "join_before_host": False,
            "require_password_for_scheduling_new_meetings": True,
        },
        "in_meeting": {"waiting_room": True},
        "recording": {"auto_recording": "none", "local_recording": False, "cloud_recording": True},
    }


# --- double-only operations (the "Zoom side" the tests drive) ---------------------------------
def control(method: str, path: str, body: Any, query: dict) -> tuple[int, Any]:
    state = STATE
    if path == "/_double/reset":
        state.reset()
        return 200, {}
    if path == "/_double/state":
        return 200, {
            "users": list(state.users.values()),
            "meetings": [
                _meeting_view(m) | {"recording": m["recording"]} for m in state.meetings.values()
            ],
            "registrants": {str(k): v for k, v in state.registrants.items()},
            "recordings": {str(k): v for k, v in state.recordings.items()},
            "log": state.log,
            "violations": state.violations,
            "live_events": state.live_events,
            "tokens_issued": state.tokens_issued,
            "deliveries": state.deliveries,
        }
    if path == "/_double/config":
        for field in (
            "qps",
            "seats",
            "retry_after_seconds",
            "webhook_target",
            "settings_locks",
            "faults",
        ):
            if field in body:
                setattr(state, field, body[field])
        return 200, {}
    if path == "/_double/fault":
        state.faults.append({"method": "*", "count": 1, **body})
        return 200, {}
    if path == "/_double/users":  # seed accounts that exist at Zoom (bulk)
        for entry in body["users"]:
            user_id = entry.get("id") or secrets.token_urlsafe(16)[:22]
            state.users[user_id] = {
                "id": user_id,
                "email": entry["email"].lower(),
                "first_name": "",
                "last_name": "",
                "type": entry.get("type", 1),
                "status": entry.get("status", "active"),
                "role_id": entry.get("role_id", "2"),
                "created_at": _now(),
                "verified": 1,
            }
        return 200, {"count": len(state.users)}
    match = re.fullmatch(r"/_double/meetings/(\d+)/(\w+)", path)
    if match:
        meeting = _meeting(match.group(1))
        action = match.group(2)
        if action == "tamper":  # a host changes settings in Zoom's own web portal
            meeting["settings"].update(body.get("settings", {}))
            if "password" in body:
                meeting["password"] = body["password"]
            delivery = state.webhook(
                "meeting.updated",
                {
                    "account_id": ACCOUNT_ID,
                    "operator": "host@uni.example",
                    "operator_id": meeting["host_id"],
                    "object": {"id": meeting["id"], "uuid": meeting["uuid"], **body},
                    "old_object": {"id": meeting["id"], "uuid": meeting["uuid"]},
                    "time_stamp": int(time.time() * 1000),
                },
            )
            return 200, delivery
        if action == "start":
            meeting["status"] = "started"
            return 200, {}
        if action == "cloud_recording":  # Zoom finished processing a cloud recording
            content = body.get("content", "")
            data = base64.b64decode(content) if content else _tiny_mp4()
            file_id = secrets.token_hex(8)
            state.files[file_id] = data
            start = body.get("recording_start", _now())
            recording = {
                "uuid": meeting["uuid"],
                "id": meeting["id"],
                "account_id": ACCOUNT_ID,
                "host_id": meeting["host_id"],
                "topic": meeting["topic"],
                "start_time": start,
                "duration": 1,
                "total_size": len(data),
                "recording_count": 1,
                "recording_files": [
                    {
                        "id": file_id,
                        "meeting_id": meeting["uuid"],
                        "recording_start": start,
                        "recording_end": body.get("recording_end", _now()),
                        "file_type": "MP4",
                        "file_extension": "MP4",
                        "file_size": len(data),
                        "download_url": f"{body['base_url']}/_double/files/{file_id}",
                        "status": "completed",
                        "recording_type": "shared_screen_with_speaker_view",
                    }
                ],
            }
            state.recordings[meeting["id"]] = recording
            download_token = secrets.token_urlsafe(24)
            state.tokens[download_token] = time.time() + 86400
            delivery = state.webhook(
                "recording.completed",
                {"account_id": ACCOUNT_ID, "object": recording},
            ) | {"download_token": download_token}
            # the token rides in the webhook body like Zoom's ``download_token``
            body_json = json.loads(delivery["body"])
            body_json["download_token"] = download_token
            raw = json.dumps(body_json).encode()
            delivery = {"headers": state.sign(raw), "body": raw.decode()}
            state.deliveries[-1] = delivery
            return 200, delivery
        if action == "recording_started":
            delivery = state.webhook(
                "recording.started",
                {
                    "account_id": ACCOUNT_ID,
                    "object": {"id": meeting["id"], "uuid": meeting["uuid"]},
                },
            )
            return 200, delivery
        if action == "participant":
            delivery = state.webhook(
                f"meeting.participant_{body['what']}",
                {
                    "account_id": ACCOUNT_ID,
                    "object": {
                        "id": str(meeting["id"]),
                        "uuid": meeting["uuid"],
                        "participant": {
                            "user_name": body.get("name", "someone"),
                            "registrant_id": body.get("registrant_id", ""),
                            "join_time": _now(),
                        },
                    },
                },
            )
            return 200, delivery
    if path == "/_double/sign":  # a signed delivery of any body (for forgery tests)
        raw = body["body"].encode()
        return 200, {"headers": state.sign(raw, body.get("timestamp")), "body": body["body"]}
    raise ApiError(404, 404, "no such double control")


def _tiny_mp4() -> bytes:
    # an ISO BMFF header ("ftyp" box) followed by padding: enough for the portal's magic check
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4096


# --- ASGI plumbing ----------------------------------------------------------------------------
async def _read_body(receive) -> bytes:  # noqa: ANN001
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send, status: int, payload: Any, headers: dict | None = None) -> None:  # noqa: ANN001
    body = b"" if payload is None else json.dumps(payload).encode()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _bearer_ok(headers: dict) -> bool:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return False
    expires = STATE.tokens.get(auth[7:].strip())
    return expires is not None and expires > time.time()


def handle_token(headers: dict, query: dict) -> tuple[int, Any]:
    auth = headers.get("authorization", "")
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    if not hmac.compare_digest(auth, f"Basic {expected}"):
        return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    if query.get("grant_type") != "account_credentials" or query.get("account_id") != ACCOUNT_ID:
        return 400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
    token = secrets.token_urlsafe(32)
    STATE.tokens[token] = time.time() + TOKEN_SECONDS
    STATE.tokens_issued += 1
    return 200, {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": "user:write:admin meeting:write:admin recording:write:admin",
    }


def handle_api(
    method: str, path: str, query: dict, headers: dict, raw: bytes
) -> tuple[int, Any, dict]:
    for op_method, pattern, template, operation in OPERATIONS:  # noqa: B007
        match = pattern.match(path)
        if match and op_method == method:
            break
    else:
        return 404, {"code": 404, "message": "No such API."}, {}
    if not _bearer_ok(headers):
        return 401, {"code": 124, "message": "Invalid access token."}, {}
    rate_headers = STATE.check_rate(operation["x-label"])
    fault = STATE.take_fault(method, path)
    # "after": Zoom does the work and the answer is lost on the way (a timeout at the client)
    if fault is not None and not fault.get("after"):
        extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
        return fault["status"], {"code": fault["status"], "message": "Injected by the test."}, extra
    params = {name: unquote(value) for name, value in match.groupdict().items()}
    for name, value in params.items():  # Zoom: UUIDs with "/" or "//" arrive encoded twice
        if value.startswith("%2F") or "%2F%2F" in value:
            params[name] = unquote(value)
    # check the request against the published description
    for parameter in operation["parameters"]:
        where, name = parameter["in"], parameter["name"]
        source = params if where == "path" else query if where == "query" else {}
        if where not in ("path", "query"):
            continue
        if name not in source:
            if parameter.get("required"):
                raise ApiError(400, 300, f"missing {where} parameter {name}")
            continue
        schema = parameter["schema"]
        _validate(schema, _coerce(schema, source[name]), name)
    known = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    unknown = set(query) - known
    if unknown:
        raise ApiError(400, 300, f"unknown query parameters {sorted(unknown)}")
    body = None
    request_body = operation.get("requestBody")
    if request_body:
        try:
            body = json.loads(raw or b"null")
        except ValueError as error:
            raise ApiError(400, 300, "Request body is not JSON.") from error
        if body is None:
            if request_body.get("required"):
                raise ApiError(400, 300, "Request body is required.")
        else:
            _validate(request_body["content"]["application/json"]["schema"], body, "body")
    elif raw:
        raise ApiError(400, 300, "This operation takes no body.")
    status, payload = api(method, template, params, query, body)
    if fault is not None:
        return fault["status"], {"code": fault["status"], "message": "Injected by the test."}, {}
    # check our own answer against the published description (a bug of the double otherwise)
    response = operation["responses"].get(str(status))
    if response is None:
        STATE.violations.append(f"response {status} undocumented for {method} {template}")
    else:
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        if schema is not None and payload is not None:
            errors = list(OAS30Validator(schema).iter_errors(payload))
            if errors:
                STATE.violations.append(f"response of {method} {template}: {errors[0].message}")
    return status, payload, rate_headers


async def app(scope, receive, send) -> None:  # noqa: ANN001
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    method = scope["method"]
    # the raw path: an encoded "/" inside a meeting UUID must stay inside its segment
    path = (scope.get("raw_path") or scope["path"].encode()).decode().split("?", 1)[0]
    query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    raw = await _read_body(receive)
    with STATE.lock:
        if path.startswith("/_double/files/"):
            data = STATE.files.get(path.rsplit("/", 1)[-1])
            if not _bearer_ok(headers):
                status, payload, extra = 401, {"code": 124, "message": "Invalid access token."}, {}
            elif data is None:
                status, payload, extra = 404, {"code": 3301, "message": "No such file."}, {}
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"video/mp4"),
                            (b"content-length", str(len(data)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": data})
                return
        elif path.startswith("/_double/"):
            try:
                status, payload = control(method, path, json.loads(raw or b"{}"), query)
            except ApiError as error:
                status, payload = error.status, {"code": error.code, "message": error.message}
            extra = {}
        elif path == "/oauth/token" and method == "POST":
            status, payload = handle_token(headers, query)
            extra = {}
        elif path.startswith("/v2/"):
            api_path = path[3:]
            entry = {"method": method, "path": api_path, "query": query}
            try:
                status, payload, extra = handle_api(method, api_path, query, headers, raw)
            except ApiError as error:
                status, payload = error.status, {"code": error.code, "message": error.message}
                extra = error.headers
                if error.status == 400 and error.code == 300:
                    STATE.violations.append(f"request {method} {api_path}: {error.message}")
            entry["status"] = status
            if raw:
                try:
                    entry["body"] = json.loads(raw)
                except ValueError:
                    entry["body"] = None
            STATE.log.append(entry)
        else:
            status, payload, extra = 404, {"code": 404, "message": "Not found."}, {}
    await _send_json(send, status, payload, extra)
