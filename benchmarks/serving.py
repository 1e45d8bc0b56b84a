"""Trivial requests per second per server process: the ASGI server of before (uvicorn for
everything) against production's HTTP server (gunicorn, sync workers) in the same run.

Starts each variant as one server process (one worker) with production settings (DEBUG off)
on a free loopback port, one after the other, and sends for SECONDS each, over CONNECTIONS
keep-alive connections: ``GET /healthz`` (a database query, a Redis ping and the purge ages:
the trivial request of every ratio in the benchmarks) and ``GET /`` (the home page through
the whole middleware and a template). Prints requests per second, requests per CPU second of
the server's processes (the figure that does not depend on what else the machine runs),
the median latency, and each variant's ratio to uvicorn's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 uv run python benchmarks/serving.py [--seconds 8]

Variants: ``uvicorn`` (portal.asgi, psycopg's pool: the setup before), ``gunicorn sync``
(portal.wsgi, one sync worker, a persistent connection: deploy/systemd/portal-http@.service),
``gunicorn gthread`` (one worker, four threads, psycopg's pool).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from benchmarks import servers  # noqa: E402
from tests.asgi_process import start_uvicorn  # noqa: E402
from tests.wsgi_process import GUNICORN_ARGS, start_gunicorn  # noqa: E402

PATHS = {"/healthz": "healthz", "/": "home page"}


def variants(env: dict[str, str]) -> dict:
    return {
        "uvicorn (before)": lambda: start_uvicorn(
            env={**env, "DATABASE_POOL": "true"}, extra_args=["--workers", "1"], timeout=60
        ),
        "gunicorn sync": lambda: start_gunicorn(
            env=env, extra_args=["--worker-class", "sync", "--workers", "1"], timeout=60
        ),
        "gunicorn gthread x4 (chosen)": lambda: start_gunicorn(
            env=env, extra_args=GUNICORN_ARGS, timeout=60
        ),
        "gunicorn gthread x4 pool": lambda: start_gunicorn(
            env={**env, "DATABASE_POOL": "true"},
            extra_args=["--worker-class", "gthread", "--threads", "4", "--workers", "1"],
            timeout=60,
        ),
    }


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    env = servers.production_env()
    results: dict[str, dict[str, servers.Load]] = {}
    for name, start in variants(env).items():
        port, process = start()
        try:
            for path in PATHS:
                request = servers.http_request("GET", path)
                servers.run_load(  # warm up imports, connections, template caches
                    port, process.pid, servers.repeat(request), seconds=1, connections=2
                )
                results.setdefault(name, {})[path] = servers.run_load(
                    port,
                    process.pid,
                    servers.repeat(request),
                    seconds=args.seconds,
                    connections=args.connections,
                )
        finally:
            servers.stop_server(process)

    print(
        f"{args.connections} keep-alive connections, {args.seconds:.0f} s per figure, "
        f"one server process each, DEBUG off; load average {servers.load_average()}"
    )
    before = next(iter(results))
    figures: dict[str, float] = {}
    for name, loads in results.items():
        for path, load in loads.items():
            base = results[before][path]
            print(
                f"{name:24s} {PATHS[path]:9s} {load.per_second:7.1f} req/s  "
                f"{load.per_cpu_second:7.1f} req/CPU-s  median {load.median_ms:6.1f} ms  "
                f"{load.per_second / base.per_second:4.2f}x req/s, "
                f"{load.per_cpu_second / base.per_cpu_second:4.2f}x req/CPU-s of uvicorn  "
                f"(HTTP {sorted(load.statuses)})"
            )
            figures[f"{name} {PATHS[path]} req/s"] = load.per_second
    return figures


if __name__ == "__main__":
    main()
