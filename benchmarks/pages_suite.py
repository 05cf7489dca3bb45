"""Benchmark suite: the pages under load, against the anonymous login page measured in the same run.

    python -m benchmarks.pages_suite [--quick]       (DATABASE_URL: the bench PostgreSQL database)

scripts/bench calls run(quick) with Django set up against the bench database (the synthetic data set).
This suite starts gunicorn itself on a free 127.0.0.1 port (4 workers; 2 in quick mode), signs in the
administrator of the largest practice with a session it writes into the session store (password and
second factor already passed, as the sign-in pages would leave it), checks that every page answers 200
to that session, then drives each page with wrk (Debian package `wrk`), or, where wrk is missing, with a
small threaded Python client (noted in the rows: it competes for the same two CPUs):
- 16 concurrent clients for 30 s (2 s quick): requests/s and errors (non-2xx/3xx, socket errors);
  target: zero errors and at least half the login page's requests/s;
- 2 concurrent clients for 10 s (1 s quick): the 95th percentile latency; target under 100 ms.
Then it times one full access-matrix CSV download. Everything it started is stopped at the end.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path

from benchmarks.table import row, standalone

SUITE = "pages"
ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p95_us\":%d,\"p99_us\":%d," ..
    "\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
"""


_row = partial(row, SUITE)  # one row builder for every suite (benchmarks/table.py)


# --- who and what ----------------------------------------------------------------------------------

def _administrator():
    """The largest practice and one of its administrators (created if it has none)."""
    from django.db.models import Count

    from accounts.models import Membership, Organization, Role, User
    from accounts.services import membership_grant

    org = Organization.objects.annotate(n=Count("portal_accounts")).order_by("-n", "pk").first()
    if org is None:
        raise RuntimeError("The bench database has no practice: build the synthetic data set first.")
    membership = (Membership.objects.filter(organization=org, role=Role.ADMINISTRATOR, user__is_active=True)
                  .select_related("user").order_by("pk").first())
    if membership is not None:
        return org, membership.user
    user = User.objects.filter(email="bench-pages@bench.example").first() or User.objects.create_user(
        email="bench-pages@bench.example", password=None, full_name="Bench Administrator")
    membership_grant(organization=org, user=user, role=Role.ADMINISTRATOR)
    return org, user


def _session_cookie(user) -> str:
    """A session as the sign-in pages leave it: signed in, second factor passed, just active."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.mfa import SESSION_KEY as MFA_KEY
    from security.middleware import LAST_ACTIVITY_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[MFA_KEY] = str(user.pk)
    store[LAST_ACTIVITY_KEY] = time.time()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def _pages(org) -> dict[str, str]:
    from audits.models import AuditEvent
    from reviews.models import ReviewCampaign

    base = f"/o/{org.slug}/"
    campaign = ReviewCampaign.objects.filter(organization=org).order_by("-pk").values_list("pk", flat=True).first()
    # A word from the practice's own log, so the search finds something (falls back to a common one).
    label = (AuditEvent.objects.filter(organization_id=org.pk).exclude(object_label="")
             .values_list("object_label", flat=True).first() or "staff")
    word = max(label.split(), key=len)[:20]
    return {
        "dashboard": base,
        "roster": base + "staff/",
        "access matrix": base + "access/matrix/",
        "task queue": base + "access/tasks/",
        "review queue": base + "reviews/mine/",
        "review campaign": base + (f"reviews/{campaign}/" if campaign else "reviews/"),
        "findings": base + "findings/",
        "audit search": base + "audit/?q=" + urllib.request.quote(word),
        "directory": base + "directory/",
    }


# --- the server ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _shared_cache_url() -> str | None:
    """Production's cache (Redis, CACHE_URL in docker-compose.yml) when one answers here, so the server runs
    the production path (sessions read from the cache); BENCH_CACHE_URL names another; None: per-process."""
    import redis

    url = os.environ.get("BENCH_CACHE_URL", f"redis://{HOST}:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError, ValueError):
        return None
    return url


def _empty_cache(url: str) -> None:
    """The bench database is new each run: nothing cached from an earlier run's data may be served."""
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()


def _server_env() -> dict:
    from django.conf import settings

    env = dict(os.environ)
    cache = _shared_cache_url()
    if cache:
        _empty_cache(cache)
        env["CACHE_URL"] = cache
    env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "portalgov.test_settings"))
    if "DATABASE_URL" not in env:
        db = settings.DATABASES["default"]
        env["DATABASE_URL"] = (f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or HOST}:"
                               f"{db.get('PORT') or 5432}/{db['NAME']}")
    env.update({
        "DEBUG": "False", "SECRET_KEY": settings.SECRET_KEY, "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": f"{HOST},localhost", "SECURE_SSL_REDIRECT": "False", "LOG_LEVEL": "WARNING",
    })
    return env


class Server:
    def __init__(self, workers: int):
        self.port = _free_port()
        self.workers = workers
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            # As the image runs it (Dockerfile: --preload; ./gunicorn.conf.py is read from the working directory).
            [sys.executable, "-m", "gunicorn", "portalgov.wsgi:application", "--preload", "--bind",
             f"{HOST}:{self.port}", "--workers", str(self.workers), "--graceful-timeout", "5", "--timeout", "60"],
            cwd=str(ROOT), env=_server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn stopped: " + self.proc.stderr.read().decode(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/accounts/login/", timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, cookie: str | None, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 (http://127.0.0.1 only)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


# --- load ------------------------------------------------------------------------------------------

def _wrk(url, cookie, clients, seconds, script) -> dict:
    cmd = ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", script]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError("wrk printed no summary: " + out[-500:])
    data = json.loads(line[len("WRKJSON "):])
    secs = data["duration_us"] / 1e6
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    return {"rps": data["requests"] / secs, "p95_ms": data["p95_us"] / 1000, "p50_ms": data["p50_us"] / 1000,
            "errors": errors, "requests": data["requests"], "tool": "wrk"}


def _python_load(url, cookie, clients, seconds) -> dict:
    """Fallback without wrk: threads with keep-alive connections (bounded by time, stops by itself)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, bad = [], 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - begin
    latencies.sort()
    p = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies else (lambda q: 0)
    return {"rps": len(latencies) / took, "p95_ms": p(0.95), "p50_ms": p(0.5), "errors": errors[0],
            "requests": len(latencies), "tool": "python threads"}


def _load(url, cookie, clients, seconds, script) -> dict:
    if script:
        return _wrk(url, cookie, clients, seconds, script)
    return _python_load(url, cookie, clients, seconds)


# --- the suite -------------------------------------------------------------------------------------

def run(quick: bool) -> list[dict]:
    from django.db import connection

    busy_s, calm_s = (2, 1) if quick else (30, 10)
    workers = 2 if quick else 4
    org, admin = _administrator()
    cookie = _session_cookie(admin)
    pages = _pages(org)
    connection.close()  # the server's workers need no competition for this process's connection
    rows = []
    script = None
    tmp = tempfile.mkdtemp(prefix="pages-suite-")
    if shutil.which("wrk"):
        script = os.path.join(tmp, "report.lua")
        Path(script).write_text(WRK_SCRIPT)
    try:
        with Server(workers) as server:
            login = server.url("/accounts/login/")
            bad = {}
            for name, path in pages.items():  # every page must really render for this session (no redirect)
                for _ in range(2 * workers):  # and each worker warms up on it
                    status, _ = _get(server.url(path), cookie)
                if status != 200:
                    bad[name] = status
            for _ in range(2 * workers):
                _get(login, None)
            ref_busy = _load(login, None, 16, busy_s, script)
            ref_calm = _load(login, None, 2, calm_s, script)
            tool = ref_busy["tool"]
            rows.append(_row("login page (anonymous), 16 clients", ref_busy["rps"], "req/s", "itself",
                             ref_busy["rps"], "reference", None,
                             f"{tool}, {busy_s} s, {ref_busy['errors']} errors, p95 {ref_busy['p95_ms']:.1f} ms; "
                             f"gunicorn --preload, {workers} workers; cache "
                             + (f"{_shared_cache_url()} (sessions read from it, as in production)"
                                if _shared_cache_url() else "per process (no Redis answered: sessions in the database)")))
            rows.append(_row("login page (anonymous), 2 clients p95", ref_calm["p95_ms"], "ms", "itself",
                             ref_calm["p95_ms"], "reference", None, f"{ref_calm['rps']:.1f} req/s"))
            for name, path in pages.items():
                if name in bad:
                    rows.append(_row(f"{name}, 16 clients", None, "req/s", "login page req/s", ref_busy["rps"],
                                     ">= 0.5x, 0 errors", False, f"{path} answered {bad[name]}, not 200: not measured",
                                     ratio=None))
                    continue
                busy = _load(server.url(path), cookie, 16, busy_s, script)
                calm = _load(server.url(path), cookie, 2, calm_s, script)
                ratio = busy["rps"] / ref_busy["rps"] if ref_busy["rps"] else None
                rows.append(_row(
                    f"{name}, 16 clients", busy["rps"], "req/s", "login page req/s", ref_busy["rps"],
                    ">= 0.5x, 0 errors",
                    bool(busy["requests"] and ratio is not None and ratio >= 0.5 and busy["errors"] == 0),
                    f"{path}; {busy['requests']} requests, {busy['errors']} errors, p95 {busy['p95_ms']:.0f} ms"))
                rows.append(_row(
                    f"{name}, 2 clients p95", calm["p95_ms"], "ms", "login page p95", ref_calm["p95_ms"],
                    "< 100 ms", bool(calm["requests"]) and calm["p95_ms"] < 100, f"p50 {calm['p50_ms']:.1f} ms, {calm['rps']:.1f} req/s"))
            csv_path = pages["access matrix"] + "?format=csv"
            best, size = None, 0
            for _ in range(3):
                start = time.perf_counter()
                status, body = _get(server.url(csv_path), cookie, timeout=120)
                took = time.perf_counter() - start
                best = took if best is None else min(best, took)
                size = len(body)
            lines = body.count(b"\n") - 1 if status == 200 else 0
            rows.append(_row("access matrix CSV, whole practice", best * 1000, "ms", None, None, "report",
                             None if status == 200 else False,
                             f"{lines} people, {size // 1024} KB, HTTP {status}, best of 3"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv=None) -> None:
    standalone(run, argv)


if __name__ == "__main__":
    main()
