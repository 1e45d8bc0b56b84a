"""Bring the production stack up on this machine from deploy/ and check it end to end.

nginx (Debian's package) with deploy/nginx/portal.conf rendered for loopback ports and a
self-signed certificate, gunicorn (HTTP) and two uvicorn processes (websockets), a Celery
worker and Celery beat, Janus, against
the shared PostgreSQL and Redis with a database and Redis db of its own (``DATABASE_URL``,
``REDIS_URL``; defaults below). With DEBUG off: ``check --deploy``, ``migrate``,
``collectstatic`` and ``setup_institution deploy/institution.toml`` first.

Checks (each prints OK or fails the run): health over HTTPS and straight to an upstream over
plain HTTP; workers and beat alive (the heartbeat) and media servers (``?deep=1``); a page and
a websocket through nginx; one whole meeting in two Chromiums over HTTPS (SSO login at
SimpleSAMLphp, schedule, join, admit, media through Janus, consent, recording converted by the
worker and downloaded by byte range and resumed, a poll, end: scripts/production_meeting.py);
a 1 GiB recording downloaded through nginx (X-Accel-Redirect) whole, by byte range, resumed,
and HEAD, with the ASGI processes' memory and CPU during the download; a purge run through the
worker and the metrics that report it. With ``--websockets N`` also the benchmark of N waiting
websockets through nginx against the same straight to the ASGI processes
(benchmarks/proxy_websockets.py). Stops everything by PID and exits non-zero on any failure.

    scripts/production-check [--size-mib 1024] [--websockets 300]

The processes are started by ``start_processes`` alone; the checks only use what it returns.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.asgi_process import free_port  # noqa: E402
from tests.waiting import wait_until  # noqa: E402

CHUNK = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PYTHON = sys.executable


class CheckFailed(Exception):
    pass


STARTED = time.monotonic()


def ok(message: str) -> None:
    print(f"OK   {message} [{time.monotonic() - STARTED:.0f} s]", flush=True)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    ok(message)


def process_figures(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    values["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return values


class Stack:
    """Every process started, stopped by PID in reverse order."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None, **kwargs: object
    ) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, cwd=PROJECT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, **kwargs
        )
        self.processes.append((name, process))
        return process

    def manage(self, *args: str, input_text: str | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            input=input_text,
            timeout=600,
        )
        if result.returncode != 0:
            raise CheckFailed(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"---- {name} did not stop in 30 s: killed", flush=True)
                process.kill()
                process.wait()


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 180) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            raise CheckFailed(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    if not wait_until(answers, timeout=timeout):
        raise CheckFailed(f"{name} did not answer on port {port}")


def https(port: int) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection("localhost", port, context=context, timeout=600)


def request(
    port: int, method: str, path: str, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    connection = https(port)
    connection.request(method, path, headers={"Host": f"localhost:{port}", **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def render_nginx(
    workdir: Path,
    *,
    https_port: int,
    http_port: int,
    upstreams: list[int],
    http_upstream: int,
    janus_ws_port: int,
    media_root: Path,
) -> Path:
    """deploy/nginx/portal.conf with this run's ports and paths, inside a main config."""
    site = (PROJECT / "deploy" / "nginx" / "portal.conf").read_text()
    site = site.replace(
        "    server 127.0.0.1:8001 max_fails=3 fail_timeout=10s;\n"
        "    server 127.0.0.1:8002 max_fails=3 fail_timeout=10s;\n",
        "".join(
            f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstreams
        ),
    )
    site = site.replace(
        "server 127.0.0.1:8000 max_fails", f"server 127.0.0.1:{http_upstream} max_fails"
    )
    site = site.replace("server 127.0.0.1:8188;", f"server 127.0.0.1:{janus_ws_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen [::]:80;\n", "")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen [::]:443 ssl http2;\n", "")
    site = site.replace("server_name meet.uni.example;", "server_name localhost;")
    site = site.replace("/etc/ssl/portal/fullchain.pem", str(workdir / "cert.pem"))
    site = site.replace("/etc/ssl/portal/privkey.pem", str(workdir / "key.pem"))
    site = site.replace("/var/lib/portal/media/recordings/", f"{media_root / 'recordings'}/")
    (workdir / "site.conf").write_text(site)
    main = f"""
user root;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {workdir}/nginx-access.log;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    include {workdir}/site.conf;
}}
"""
    path = workdir / "nginx.conf"
    path.write_text(main)
    return path


@dataclass
class Processes:
    asgi: list[subprocess.Popen]
    worker: subprocess.Popen
    nginx: subprocess.Popen


def start_processes(
    stack: Stack,
    workdir: Path,
    *,
    https_port: int,
    http_port: int,
    upstreams: list[int],
    http_upstream: int,
    janus_ws_port: int,
    media_root: Path,
) -> Processes:
    """The portal's processes as deploy/ runs them (uvicorn per upstream port for websockets,
    gunicorn for plain HTTP, the Celery worker and beat, nginx), each registered with ``stack``
    to be stopped by PID; returns once every port answers. The checks below use nothing else
    of how they were started."""
    asgi = []
    for port in upstreams:
        process = stack.start(
            f"asgi-{port}",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "portal.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--proxy-headers",
                "--forwarded-allow-ips",
                "127.0.0.1",
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "10",
            ],
        )
        asgi.append(process)
    # plain HTTP: gunicorn as deploy/systemd/portal-http.service runs it (two workers)
    gunicorn = stack.start(
        "http",
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{http_upstream}",
            *("--worker-class", "gthread", "--workers", "2", "--threads", "4"),
            *("--keep-alive", "5", "--forwarded-allow-ips", "127.0.0.1"),
            *("--graceful-timeout", "10", "--timeout", "120", "--log-level", "warning"),
        ],
        env={**stack.env, "DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "600"},
    )
    worker = stack.start(
        "worker",
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
        ],
    )
    stack.start(
        "beat",
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "--loglevel",
            "INFO",
            "-S",
            "django",
            "-s",
            str(workdir / "beat-schedule"),
        ],
    )
    conf = render_nginx(
        workdir,
        https_port=https_port,
        http_port=http_port,
        upstreams=upstreams,
        http_upstream=http_upstream,
        janus_ws_port=janus_ws_port,
        media_root=media_root,
    )
    test = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
    require(test.returncode == 0, "nginx accepts deploy/nginx/portal.conf (nginx -t)")
    nginx = stack.start("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"])
    for port, process in zip(upstreams, asgi, strict=True):
        wait_for_port(port, process, f"uvicorn on {port}")
    wait_for_port(http_upstream, gunicorn, "gunicorn")
    wait_for_port(https_port, nginx, "nginx")
    return Processes(asgi=asgi, worker=worker, nginx=nginx)


def main() -> int:  # noqa: C901, PLR0915 -- one scenario, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument(
        "--websockets",
        type=int,
        default=0,
        help="also measure N waiting websockets admitted at once, through nginx and straight",
    )
    options = parser.parse_args()
    started_at = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="production-check-"))
    workdir.chmod(0o755)
    media_root = workdir / "media"
    (media_root / "recordings").mkdir(parents=True)
    https_port, http_port = free_port(), free_port()
    upstreams = [free_port(), free_port()]
    http_upstream = free_port()
    database_url = os.environ.get(
        "PRODUCTION_CHECK_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/portal_production_check",
    )
    redis_url = os.environ.get("PRODUCTION_CHECK_REDIS_URL", "redis://127.0.0.1:6379/14")
    from cryptography.fernet import Fernet

    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "production-check-" + os.urandom(24).hex(),
        "PASSCODE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "CONSENT_SUBJECT_KEY": "1:" + os.urandom(24).hex(),
        "RETENTION_REFERENCE_SECRET": "1:" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "localhost",
        "HEALTH_CHECK_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{https_port}",
        "PORTAL_BASE_URL": f"https://localhost:{https_port}",
        "TRUSTED_PROXY": "true",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "DATABASE_POOL": "true",
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        "RECORDINGS_ACCEL_REDIRECT_PREFIX": "/_protected_recordings/",
        "METRICS_TOKEN": "production-check-metrics",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(workdir),
        "SETUP_ADMIN_PASSWORD": "production check " + os.urandom(8).hex(),
        "DEV_IDP_ENABLED": "false",
        # never the checkout's var/ folders: this run's SP key and deletion journal
        "SAML_SP_KEY_DIR": str(workdir / "saml-sp"),
        "RETENTION_JOURNAL_DIR": str(workdir / "retention-journal"),
    }
    stack = Stack(workdir, env)
    failed = False
    try:
        # -- the database of its own, then the release steps with DEBUG off ------------------
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')

        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(workdir / "key.pem"),
                "-out",
                str(workdir / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        from tests.janus_process import start_janus

        os.environ.update(env)
        import django

        django.setup()
        janus = start_janus()
        stack.processes.append(("janus", janus.process))
        env.update(janus.env())
        env["MEETINGS_BACKEND"] = "meetings.backends.janus.JanusBackend"
        env["JANUS_SERVERS"] = (
            f"{janus.api_url}|{janus.admin_url}|wss://localhost:{https_port}/janus-1/"
        )
        stack.manage("check", "--deploy", "--fail-level", "ERROR")
        ok("manage.py check --deploy: no errors with DEBUG off")
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput")
        second_factor = workdir / "admin-second-factor.txt"
        institution = str(PROJECT / "deploy" / "institution.toml")
        setup = stack.manage(
            "setup_institution", institution, "--second-factor-file", str(second_factor)
        )
        again = stack.manage("setup_institution", institution)
        require(
            "changes made" in setup and "set up already" in again,
            "setup_institution creates the institution, and a second run changes nothing",
        )
        require(
            (second_factor.stat().st_mode & 0o777) == 0o600
            and "otpauth://totp/" in second_factor.read_text()
            and "otpauth://" not in setup + again,
            "the first administrator's second factor is in a file only the operator reads",
        )

        # -- the institution's IdP: SimpleSAMLphp, the SSO browser tests' real IdP ------------
        from tests.portal.identity.sso import simplesamlphp

        reason = simplesamlphp.missing()
        if reason:
            raise CheckFailed(f"SimpleSAMLphp: {reason}")
        idp = simplesamlphp.start(workdir / "simplesamlphp")
        stack.processes.append(("simplesamlphp", idp.process))
        simplesamlphp.write_sp_remote(idp, portal_url=f"https://localhost:{https_port}")
        stack.manage(
            "add_idp", "--slug", "fed", "--name", "Federation", "--metadata", idp.metadata_url
        )
        ok(f"SimpleSAMLphp answers at {idp.base_url}; add_idp registered it from its metadata")

        # -- the processes ---------------------------------------------------------------------
        processes = start_processes(
            stack,
            workdir,
            https_port=https_port,
            http_port=http_port,
            upstreams=upstreams,
            http_upstream=http_upstream,
            janus_ws_port=int(janus.ws_url.rsplit(":", 1)[1].split("/")[0]),
            media_root=media_root,
        )
        asgi, worker = processes.asgi, processes.worker

        # -- health --------------------------------------------------------------------------
        status, _headers, body = request(https_port, "GET", "/healthz")
        require(
            status == 200 and json.loads(body)["ok"], "GET /healthz over HTTPS through nginx: 200"
        )
        probe = http.client.HTTPConnection("127.0.0.1", upstreams[0], timeout=10)
        probe.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        answer = probe.getresponse()
        require(
            answer.status == 200,
            "a probe straight to an upstream over plain HTTP: 200, no redirect",
        )

        def background_ok() -> bool:
            data = json.loads(request(https_port, "GET", "/healthz?deep=1")[2])
            part = data.get("background", {})
            return all(
                part.get(key, {}).get("ok")
                for key in ("celery_workers", "celery_beat", "media_servers")
            )

        require(
            wait_until(background_ok, timeout=180),
            "healthz: a worker answers, beat's heartbeat is fresh, the media server answers",
        )
        status, headers, body = request(https_port, "GET", "/accounts/login/")
        require(
            status == 200 and "content-security-policy" in headers,
            "the login page over HTTPS through nginx, with the portal's CSP",
        )
        require(list(headers).count("x-frame-options") <= 1, "security headers are not sent twice")

        # -- a websocket through nginx ---------------------------------------------------------
        sock = socket.create_connection(("127.0.0.1", https_port))
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        tls = context.wrap_socket(sock, server_hostname="localhost")
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        tls.sendall(
            (
                f"GET /ws/recording/00000000000/ HTTP/1.1\r\nHost: localhost:{https_port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: https://localhost:{https_port}\r\n\r\n"
            ).encode()
        )
        handshake = tls.recv(1024).decode(errors="replace")
        tls.close()
        require(
            handshake.startswith("HTTP/1.1 101") or " 403" in handshake.splitlines()[0],
            "a websocket upgrade reaches the ASGI processes through nginx "
            f"({handshake.splitlines()[0]})",
        )

        # -- one meeting in Chromium over HTTPS ----------------------------------------------------
        from production_meeting import drive_meeting

        drive_meeting(
            base=f"https://localhost:{https_port}",
            idp_base=idp.base_url,
            username="prof.mueller",
            password=simplesamlphp.PASSWORD,
            ok=ok,
            workdir=workdir,
        )

        # -- a 1 GiB recording through nginx -----------------------------------------------------
        size = options.size_mib * CHUNK
        setup_code = (PROJECT / "benchmarks" / "recording_download.py").read_text()
        setup_code = setup_code.split('SETUP = """', 1)[1].split('"""', 1)[0]
        pk, stored_name, cookie = stack.manage(
            "shell", "-c", setup_code.format(size=size, sha="0" * 64)
        ).split()[-3:]
        path = media_root / "recordings" / stored_name
        path.parent.mkdir(parents=True, exist_ok=True)
        block = os.urandom(CHUNK)
        digest = hashlib.sha256()
        with path.open("wb") as handle:
            for index in range(options.size_mib):
                chunk = MP4_HEAD + block[len(MP4_HEAD) :] if index == 0 else block
                handle.write(chunk)
                digest.update(chunk)
        expected = digest.hexdigest()
        path.chmod(0o644)
        url = f"/meetings/recordings/{pk}/download/"
        auth = {"Cookie": f"sessionid={cookie}"}

        status, headers, body = request(https_port, "GET", url, {**auth, "Range": "bytes=0-99"})
        require(
            status == 206
            and body == MP4_HEAD + block[len(MP4_HEAD) : 100]
            and headers.get("content-range") == f"bytes 0-99/{size}",
            "a byte range through nginx: 206 with the right bytes",
        )
        require(
            headers.get("content-disposition", "").startswith("attachment;")
            and "x-accel-redirect" not in headers,
            "nginx keeps the portal's Content-Disposition and hides X-Accel-Redirect",
        )
        status, headers, body = request(https_port, "HEAD", url, auth)
        require(
            status == 200 and headers.get("content-length") == str(size) and body == b"",
            "HEAD through nginx: 200 with the length",
        )
        status, _h, _b = request(https_port, "GET", url)
        require(status in (302, 404), "without a session: no file")
        status, _h, _b = request(https_port, "GET", f"/_protected_recordings/{stored_name}")
        require(status == 404, "the internal location is not reachable from outside")

        before = {p.pid: process_figures(p.pid) for p in asgi}
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(sum(process_figures(p.pid)["VmRSS"] for p in asgi))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        connection = https(https_port)
        connection.request("GET", url, headers={"Host": f"localhost:{https_port}", **auth})
        response = connection.getresponse()
        whole = hashlib.sha256()
        received = 0
        begun = time.monotonic()
        while chunk := response.read(CHUNK):
            whole.update(chunk)
            received += len(chunk)
        elapsed = time.monotonic() - begun
        connection.close()
        done.set()
        sampler.join()
        after = {p.pid: process_figures(p.pid) for p in asgi}
        require(
            response.status == 200 and received == size and whole.hexdigest() == expected,
            f"{options.size_mib} MiB downloaded through nginx, checksum verified",
        )
        growth = max(samples, default=0) - sum(b["VmRSS"] for b in before.values())
        cpu = sum(after[pid]["cpu"] - before[pid]["cpu"] for pid in before)
        print(
            f"     throughput {options.size_mib / elapsed:.0f} MiB/s ({elapsed:.1f} s); "
            f"ASGI processes: peak RSS growth {growth:.1f} MiB, CPU {cpu:.2f} s in all",
            flush=True,
        )
        require(growth < 64, "the ASGI processes' memory stays flat during the download (< 64 MiB)")

        # resumed: half, then the rest with Range and If-Range
        connection = https(https_port)
        connection.request("GET", url, headers={"Host": f"localhost:{https_port}", **auth})
        response = connection.getresponse()
        first = hashlib.sha256()
        got = 0
        while got < size // 2 and (chunk := response.read(CHUNK)):
            first.update(chunk)
            got += len(chunk)
        etag = response.getheader("ETag") or response.getheader("Last-Modified")
        connection.close()
        connection = https(https_port)
        connection.request(
            "GET",
            url,
            headers={
                "Host": f"localhost:{https_port}",
                **auth,
                "Range": f"bytes={got}-",
                "If-Range": etag,
            },
        )
        response = connection.getresponse()
        rest = 0
        while chunk := response.read(CHUNK):
            first.update(chunk)
            rest += len(chunk)
        connection.close()
        require(
            response.status == 206 and got + rest == size and first.hexdigest() == expected,
            "a download broken off at half resumes with Range and If-Range",
        )

        # -- a purge through the worker, and the metrics ------------------------------------------
        stack.manage(
            "shell",
            "-c",
            "from portal.celery import app; "
            "app.send_task('retention.tasks.purge_category', args=['chat'])",
        )

        def purge_in_metrics() -> bool:
            status, _h, text = request(
                https_port, "GET", "/metrics", {"Authorization": "Bearer production-check-metrics"}
            )
            return (
                status == 200
                and 'portal_purge_last_success_timestamp_seconds{category="chat"} 0.0'
                not in text.decode()
                and b"portal_rooms_running" in text
            )

        require(
            wait_until(purge_in_metrics, timeout=180),
            "a purge run by the worker shows in /metrics (rooms, purge age, queue)",
        )
        status, _h, _b = request(https_port, "GET", "/metrics")
        require(status == 404, "/metrics without the token: 404")
        require(worker.poll() is None, "the worker is still running")

        # -- the benchmark: N websockets through the proxy and straight -----------------------
        if options.websockets:
            from benchmarks.proxy_websockets import measure

            measure(
                stack.manage,
                participants=options.websockets,
                https_port=https_port,
                upstreams=upstreams,
                ok=ok,
            )
    except Exception as error:  # noqa: BLE001 -- any failure fails the check, with the logs
        failed = True
        print(f"FAIL {error}", flush=True)
        for log in sorted(workdir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            if tail:
                print(f"---- {log.name}\n" + "\n".join(tail), flush=True)
    finally:
        stack.stop()
        if not failed:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", flush=True)
    print(
        f"{'FAILED' if failed else 'PASSED'} in {time.monotonic() - started_at:.0f} s", flush=True
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
