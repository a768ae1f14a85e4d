#!/usr/bin/env bash
# Jenkins' post/always cleanup: remove this build's local images and old build cache
# from the agent. Never fails the build.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
DOCKER=${DOCKER:-docker}
tag=${IMAGE_TAG:-$(git rev-parse --short=12 HEAD 2>/dev/null || true)}
prefix="${REGISTRY:-registry.example.com}/nst"
if command -v "$DOCKER" >/dev/null 2>&1 && [ -n "$tag" ]; then
    for name in frontend fine-tuning inference gateway base-ml; do
        "$DOCKER" image rm "$prefix/$name:$tag" >/dev/null 2>&1 && echo "removed $prefix/$name:$tag"
    done
    "$DOCKER" builder prune --force --filter until=72h >/dev/null 2>&1 || true
fi
rm -rf test-artefacts/tmp-* 2>/dev/null
exit 0
