#!/usr/bin/env bash
# Build (and with --push, push) the NST images: Jenkins' "Build and push images" stage and
# the builds of `make docker-smoke`.
#
#   scripts/ci/build-images.sh [--push] [--prefix REGISTRY/nst] [--tag TAG]
#       [--base-image IMAGE] [--frontend-base-image IMAGE] [--ca-bundle FILE]
#       [--network host] [--log-dir DIR]
#
# Images: <prefix>/base-ml, gateway, inference, fine-tuning, frontend, all :<tag>. The
# inference and fine-tuning images are built FROM this build's base-ml. fine-tuning and
# frontend are skipped (with a message) while their code is not in the tree.
# --ca-bundle hands a CA bundle to pip as a BuildKit secret (never stored in a layer).
# Env: REGISTRY (registry.example.com), IMAGE_TAG (default: the commit), DOCKER (docker),
# REGISTRY_USER / REGISTRY_PASSWORD for --push.
set -euo pipefail
cd "$(dirname "$0")/../.."

prefix="${REGISTRY:-registry.example.com}/nst"
tag="${IMAGE_TAG:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo dev)}"
push=0 base="" frontend_base="" ca="" network="" log_dir=""
while [ $# -gt 0 ]; do
    case $1 in
        --push) push=1 ;;
        --prefix) prefix=$2; shift ;;
        --tag) tag=$2; shift ;;
        --base-image) base=$2; shift ;;
        --frontend-base-image) frontend_base=$2; shift ;;
        --ca-bundle) ca=$2; shift ;;
        --network) network=$2; shift ;;
        --log-dir) log_dir=$2; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
DOCKER=${DOCKER:-docker}
export DOCKER_BUILDKIT=1

build() {  # build NAME DOCKERFILE [BASE_IMAGE]
    local name=$1 file=$2 from=${3:-}
    local args=(build --progress plain -f "$file" -t "$prefix/$name:$tag")
    [ -n "$from" ] && args+=(--build-arg "BASE_IMAGE=$from")
    [ -n "$ca" ] && args+=(--secret "id=pip_ca,src=$ca")
    [ -n "$network" ] && args+=(--network "$network")
    echo "building $prefix/$name:$tag"
    local start=$SECONDS
    if [ -n "$log_dir" ]; then
        "$DOCKER" "${args[@]}" . >"$log_dir/build-$name.log" 2>&1 \
            || { tail -40 "$log_dir/build-$name.log"; echo "build of $name failed" >&2; exit 1; }
    else
        "$DOCKER" "${args[@]}" .
    fi
    echo "built $prefix/$name:$tag in $((SECONDS - start)) s"
    BUILT+=("$prefix/$name:$tag")
}

BUILT=()
build base-ml docker/base-ml.Dockerfile "$base"
build gateway docker/gateway.Dockerfile "$base"
build inference docker/inference.Dockerfile "$prefix/base-ml:$tag"
if [ -f fine_tuning_service/app/main.py ]; then
    build fine-tuning docker/fine-tuning.Dockerfile "$prefix/base-ml:$tag"
else
    echo "SKIP fine-tuning image: fine_tuning_service/app/main.py is not in the tree"
fi
if [ -f frontend/nginx.conf ]; then
    build frontend docker/frontend.Dockerfile "$frontend_base"
else
    echo "SKIP frontend image: frontend/nginx.conf is not in the tree"
fi

if [ "$push" = 1 ]; then
    if [ -n "${REGISTRY_USER:-}" ]; then
        printf '%s' "${REGISTRY_PASSWORD:?REGISTRY_PASSWORD is not set}" \
            | "$DOCKER" login --username "$REGISTRY_USER" --password-stdin "${prefix%%/*}"
    fi
    for image in "${BUILT[@]}"; do
        "$DOCKER" push "$image"
    done
fi
printf '%s\n' "${BUILT[@]}"
