# One image for web, worker and beat. The build steps live in deploy/build-image.sh, which the production smoke
# test (scripts/smoke-production, run by CI) also runs with exactly these ENV values, so they cannot drift apart.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV=/opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app portalgov
COPY requirements/runtime.txt requirements/runtime.txt
COPY deploy/build-image.sh deploy/build-image.sh
RUN deploy/build-image.sh packages
COPY . .
RUN deploy/build-image.sh static && mkdir -p /app/var && chown portalgov /app/var
USER portalgov
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "deploy/healthcheck.py"]
# --preload: the app (and its settings' secret checks) load once in the master, so a missing or malformed secret
# stops gunicorn at start with one line instead of workers failing to boot in a loop. --no-control-socket: gunicorn's
# runtime control socket would go under HOME (/app), which the portalgov user may not write.
CMD ["gunicorn", "portalgov.wsgi:application", "--preload", "--no-control-socket", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
