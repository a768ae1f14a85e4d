#!/usr/bin/env bash
# Smoke test after a deploy: GET URL (a /health endpoint) until it answers 200 with
# {"status": "ok"}, or fail after ATTEMPTS tries INTERVAL seconds apart.
#
#   scripts/ci/smoke-health.sh https://nst.dev.example.com/api/health [ATTEMPTS] [INTERVAL]
set -euo pipefail
url=${1:?usage: smoke-health.sh URL [ATTEMPTS] [INTERVAL]}
attempts=${2:-30}
interval=${3:-5}
for i in $(seq 1 "$attempts"); do
    if body=$(curl -fsS --max-time 10 "$url" 2>/dev/null) \
        && python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]).get("status") != "ok")' "$body" 2>/dev/null; then
        echo "smoke: $url -> $body (attempt $i)"
        exit 0
    fi
    [ "$i" -lt "$attempts" ] && sleep "$interval"
done
echo "smoke: $url did not answer {\"status\": \"ok\"} after $attempts attempts" >&2
exit 1
