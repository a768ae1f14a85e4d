#!/usr/bin/env bash
# Build every image and run it: `make docker-smoke`.
#
# No registry is reachable here, so the base OS image is made locally (debootstrap ->
# `docker import`), and the images are built FROM it with --build-arg BASE_IMAGE. A
# private dockerd (own data root, socket and pid file, no bridge, no iptables) is started
# for the test and stopped again - by its PID - on every exit path, failures included.
# Containers use the host network only, each service on its own port of a loopback address
# of its own (127.0.77.1 by default), never a bridge or a private address.
#
# Checks: /health of every container (and /ready of the inference ones), Docker's own
# HEALTHCHECK status, one POST /stylize through the containerised gateway with storage
# bind-mounted from a temporary directory bootstrapped (inside the base-ml image) from
# ../shared/models/reference, and the frontend's / and /api/health when the frontend is
# in the tree. The fine-tuning and frontend images are skipped cleanly when their code is
# not there yet.
#
# Env: NST_SHARED_DIR (default ../shared), NST_SMOKE_IP (127.0.77.1), NST_SMOKE_WORK (a temp
# dir), NST_SMOKE_BASE_TAR (reuse/keep the debootstrap tarball there, e.g. in .venv-tools/).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

SHARED=${NST_SHARED_DIR:-$REPO/../shared}
REFERENCE=$SHARED/models/reference
CONTENT=$SHARED/images/content/chicago.jpg
IP=${NST_SMOKE_IP:-127.0.77.1}
TAG=smoke
# Of this machine's pip configuration (`pip config list`) only the CA bundle matters inside
# a build: the rest (find-links, extra file:// indexes, a torch constraint) names local
# paths the build cannot see and packages the images do not use.
CA_BUNDLE=${NST_SMOKE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
# Debian's client (20.10) drives the daemon's built-in BuildKit without a buildx plugin.
DOCKER_BIN=${NST_DOCKER_BIN:-/usr/bin/docker}

log() { printf '[docker-smoke %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (dockerd, debootstrap)"
for tool in dockerd debootstrap "$DOCKER_BIN" curl python3; do
    command -v "$tool" >/dev/null || die "$tool missing (apt-get install docker.io debootstrap curl)"
done
[ -d "$REFERENCE" ] || die "reference checkpoints not found at $REFERENCE (set NST_SHARED_DIR)"

WORK=${NST_SMOKE_WORK:-$(mktemp -d /tmp/nst-smoke.XXXXXX)}
mkdir -p "$WORK"
export DOCKER_HOST="unix://$WORK/docker.sock"
export DOCKER_BUILDKIT=1
DOCKERD_PID=""
CONTAINERS=()
docker() { "$DOCKER_BIN" "$@"; }

cleanup() {
    local rc=$?
    set +e
    if [ -n "$DOCKERD_PID" ]; then
        if [ "$rc" != 0 ]; then
            for c in "${CONTAINERS[@]}"; do
                log "--- last log lines of $c"; docker logs --tail 25 "$c" 2>&1 | sed 's/^/    /'
            done
        fi
        [ ${#CONTAINERS[@]} -gt 0 ] && docker rm -f "${CONTAINERS[@]}" >/dev/null 2>&1
        log "stopping dockerd (pid $DOCKERD_PID)"
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
        wait "$DOCKERD_PID" 2>/dev/null
    fi
    # Anything the daemon left mounted under the work dir, deepest first.
    awk -v w="$WORK" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf "$WORK"
    [ "$rc" = 0 ] && log "PASS" || log "failed (exit $rc); cleaned up"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
phase() { log "$1 (t=$((SECONDS - t0))s)"; }

# Ports: the contract's ports, on a loopback address nobody else uses; all must be free.
declare -A PORT=([gateway]=8000 [model1]=8001 [model2]=8002 [model3]=8003 [model4]=8004
                 [fine-tuning]=8005 [frontend]=8080)
python3 - "$IP" "${PORT[@]}" <<'PY' || die "a smoke port on $IP is taken (set NST_SMOKE_IP)"
import socket, sys
for port in sys.argv[2:]:
    with socket.socket() as s:
        # Like the servers: TIME_WAIT leftovers of an earlier run do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], int(port)))
PY

phase "starting dockerd in $WORK"
dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    -H "$DOCKER_HOST" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; die "dockerd did not start"; }

# --- the base OS image --------------------------------------------------------------------
BASE_TAR=${NST_SMOKE_BASE_TAR:-$WORK/bookworm-base.tar}
if [ ! -s "$BASE_TAR" ]; then
    phase "debootstrap bookworm (minbase + python3, python3-venv)"
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$WORK/rootfs" \
        "${mirror:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    mkdir -p "$(dirname "$BASE_TAR")"
    tar -C "$WORK/rootfs" -cf "$BASE_TAR.part" . && mv "$BASE_TAR.part" "$BASE_TAR"
    rm -rf "$WORK/rootfs"
fi
docker import "$BASE_TAR" nst/bookworm-base:$TAG >/dev/null
BASE=nst/bookworm-base:$TAG

# --- images -------------------------------------------------------------------------------
# The same build script as Jenkins; the CA bundle reaches pip as a BuildKit secret.
phase "building the images"
DOCKER=$DOCKER_BIN bash scripts/ci/build-images.sh --prefix nst --tag "$TAG" \
    --base-image "$BASE" --frontend-base-image "$BASE" --ca-bundle "$CA_BUNDLE" \
    --network host --log-dir "$WORK" | sed 's/^/    /' || die "image build failed"
SERVICES=(model1 model2 model3 model4 gateway)
for optional in fine-tuning frontend; do
    if docker image inspect "nst/$optional:$TAG" >/dev/null 2>&1; then
        SERVICES+=("$optional")
    else
        log "SKIP $optional container: its image was not built (code not in the tree)"
    fi
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep ":$TAG" | sed 's/^/    /'
# The CA bundle was a build secret: it must not be in the image.
docker run --rm --network none "nst/base-ml:$TAG" test ! -e /run/secrets/pip_ca \
    || die "the CA bundle ended up in the image"

# --- storage, bootstrapped inside the base-ml image (importer as the image's user) -------
STORAGE=$WORK/storage
mkdir -p "$STORAGE" && chown 10001:10001 "$STORAGE"
phase "bootstrapping storage from $REFERENCE"
docker run --rm --network none -v "$STORAGE:/data" -v "$REFERENCE:/models:ro" \
    "nst/base-ml:$TAG" python -m nst_core.importer --storage /data --source /models \
    | sed 's/^/    /'

# --- containers -----------------------------------------------------------------------------
hardened=(--network host --read-only --tmpfs "/tmp:rw,size=256m" --cap-drop ALL
          --security-opt no-new-privileges -v "$STORAGE:/data"
          -e UVICORN_HOST="$IP" -e NST_HEALTHCHECK_HOST="$IP" -e NST_STORAGE_DIR=/data)
run() {  # run NAME IMAGE [docker run args...]
    local name=$1 image=$2; shift 2
    docker run -d --name "nst-smoke-$name" "${hardened[@]}" -e UVICORN_PORT="${PORT[$name]}" \
        "$@" "nst/$image:$TAG" >/dev/null
    CONTAINERS+=("nst-smoke-$name")
}
urls="{"
for m in model1 model2 model3 model4; do
    run "$m" inference -e MODEL_NAME="$m" -e NST_INTRA_OP_THREADS=1 --memory 2g
    urls+="\"$m\": \"http://$IP:${PORT[$m]}\", "
done
urls="${urls%, }}"
run gateway gateway -e NST_INFERENCE_URLS="$urls" --memory 1g
if [[ " ${SERVICES[*]} " == *" fine-tuning "* ]]; then
    run fine-tuning fine-tuning -e NST_ADMIN_TOKEN="smoke-$RANDOM$RANDOM" --memory 4g
fi
if [[ " ${SERVICES[*]} " == *" frontend "* ]]; then
    # The template's placeholders point it at the smoke gateway and pin the listen socket
    # to the smoke address, so nothing else on the machine is in the way.
    run frontend frontend \
        -e NST_FRONTEND_LISTEN="$IP:${PORT[frontend]}" -e NST_FRONTEND_PORT="${PORT[frontend]}" \
        -e NST_HEALTHCHECK_HOST="$IP" -e NST_GATEWAY_UPSTREAM="$IP:${PORT[gateway]}"
fi

wait_http() {  # wait_http NAME URL SECONDS
    local deadline=$((SECONDS + $3))
    until curl -fsS -o /dev/null --max-time 3 "$2" 2>/dev/null; do
        [ "$(docker inspect -f '{{.State.Running}}' "nst-smoke-$1")" = true ] \
            || die "container nst-smoke-$1 exited"
        [ $SECONDS -lt $deadline ] || die "no 2xx from $2 within $3 s"
        sleep 1
    done
}
phase "waiting for the services"
for name in "${SERVICES[@]}"; do
    case $name in
        model*) wait_http "$name" "http://$IP:${PORT[$name]}/ready" 240 ;;
        frontend) wait_http "$name" "http://$IP:${PORT[$name]}/" 60 ;;
        *) wait_http "$name" "http://$IP:${PORT[$name]}/health" 120 ;;
    esac
done
for name in "${SERVICES[@]}"; do
    [ "$name" = frontend ] && continue
    body=$(curl -fsS --max-time 5 "http://$IP:${PORT[$name]}/health")
    [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <<<"$body")" = ok ] \
        || die "$name /health said $body"
    log "ok: $name /health -> $body"
done

phase "waiting for Docker's HEALTHCHECK to report healthy"
for c in "${CONTAINERS[@]}"; do
    deadline=$((SECONDS + 90))
    until [ "$(docker inspect -f '{{.State.Health.Status}}' "$c")" = healthy ]; do
        [ "$(docker inspect -f '{{.State.Running}}' "$c")" = true ] || die "$c exited"
        [ $SECONDS -lt $deadline ] || die "$c is not healthy: $(docker inspect -f '{{json .State.Health}}' "$c")"
        sleep 2
    done
    log "ok: $c healthy (user $(docker inspect -f '{{.Config.User}}' "$c"))"
done

phase "POST /stylize through the containerised gateway"
curl -fsS --max-time 120 -F model=model1 -F "file=@$CONTENT" \
    "http://$IP:${PORT[gateway]}/stylize" -o "$WORK/stylize.json" \
    || die "/stylize failed: $(cat "$WORK/stylize.json" 2>/dev/null)"
image_url=$(python3 - "$WORK/stylize.json" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
assert body["model"] == "model1" and body["version"] == "v1", body
assert (body["width"], body["height"]) == (712, 474), body
print(body["image_url"])
PY
)
curl -fsS --max-time 10 "http://$IP:${PORT[gateway]}$image_url" -o "$WORK/out.png"
[ "$(head -c 8 "$WORK/out.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    || die "$image_url is not a PNG"
log "ok: /stylize -> $image_url ($(stat -c %s "$WORK/out.png") bytes PNG)"
compgen -G "$STORAGE/output_images/*.png" >/dev/null || die "no output image in the bind-mounted storage"

if [[ " ${SERVICES[*]} " == *" frontend "* ]]; then
    curl -fsS --max-time 5 "http://$IP:${PORT[frontend]}/" | grep -qi '<html' \
        || die "frontend / is not the UI"
    body=$(curl -fsS --max-time 5 "http://$IP:${PORT[frontend]}/api/health")
    [[ $body == *'"ok"'* ]] || die "frontend /api/health said $body"
    log "ok: frontend / and /api/health -> $body"
fi
phase "all checks passed"
