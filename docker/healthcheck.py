"""Container HEALTHCHECK: GET a path on the local service, exit 0 on HTTP 2xx, 1 otherwise.

Usage: python /opt/nst/healthcheck.py [PATH]   (PATH defaults to /health). The port comes from
UVICORN_PORT (the images set it to 8000; the smoke test runs every container on the host
network with its own port)."""

import os
import sys
import urllib.error
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/health"
port = os.environ.get("UVICORN_PORT", "8000")
host = os.environ.get("NST_HEALTHCHECK_HOST", "127.0.0.1")
try:
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=4) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except (urllib.error.URLError, OSError):
    sys.exit(1)
