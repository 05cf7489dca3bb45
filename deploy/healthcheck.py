"""The container health check (Dockerfile HEALTHCHECK, docker-compose.yml): GET /healthz on this container.

Sends a Host the deployment allows (the first of ALLOWED_HOSTS) so Django does not refuse it; /healthz is
exempt from the HTTPS redirect (settings.SECURE_REDIRECT_EXEMPT). Exit 0 healthy, 1 otherwise.
"""

import http.client
import os
import sys

hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",")]
host = next((h for h in hosts if h and h != "*"), "localhost")
try:
    conn = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
    conn.request("GET", "/healthz", headers={"Host": host})
    response = conn.getresponse()
    body = response.read(2000).decode(errors="replace")
except OSError as exc:
    print(f"healthcheck: no answer: {exc}")
    sys.exit(1)
print(f"healthcheck: {response.status} {body}")
sys.exit(0 if response.status == 200 else 1)
