#!/usr/bin/env bash
# Static checks of the delivery files (`make delivery-check`), all offline:
#
#   scripts/ci/static-checks.sh [all|hadolint|yamllint|kustomize|checkov|ansible|compose|jenkins|shell]...
#
#   hadolint   every Dockerfile (docker/*.Dockerfile)
#   yamllint   every YAML file (.yamllint.yml)
#   kustomize  `kubectl kustomize` of the dev and prod overlays, ELK and monitoring, each
#              validated with `kubernetes-validate --strict` for Kubernetes $K8S_VERSION
#   checkov    the rendered manifests and the Dockerfiles (BC_SKIP_MAPPING, --skip-download)
#   ansible    --syntax-check and `ansible-lint --offline` of every playbook, and a
#              render-only run of deploy-k8s.yml (the role's kustomize wiring, no cluster)
#   compose    `docker-compose config` of docker-compose.yml with .env.example
#   jenkins    both Jenkinsfiles parsed by a Groovy 3 grammar (groovy-parser)
#   shell      `bash -n` (and shellcheck when installed) of scripts/ci/*.sh and docker/*.sh
#
# Tools come from the venvs under .venv-tools/ (made by mk/delivery.mk). Each check prints
# its duration; the script fails if any check fails, after running all of them.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
TOOLS=${NST_TOOLS_DIR:-$REPO/.venv-tools}
LINT=$TOOLS/lint/bin
ANSIBLE=$TOOLS/ansible/bin
CHECKOV=$TOOLS/checkov/bin
K8S_VERSION=${NST_K8S_VERSION:-1.33.0}
OUT=$TOOLS/rendered
K8S=$OUT/k8s   # kubectl kustomize output, one file per kustomization
mkdir -p "$K8S"

check_hadolint() {
    "$LINT/hadolint" docker/*.Dockerfile
}

check_yamllint() {
    "$LINT/yamllint" --strict .
}

check_kustomize() {
    "$LINT/python" scripts/ci/render_manifests.py --out-dir "$K8S" || return 1
    local rc=0 f
    for f in "$K8S"/*.yaml; do
        echo "  $(basename "$f"): $(grep -c '^kind:' "$f") objects"
        "$LINT/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$f" || rc=1
    done
    return $rc
}

check_checkov() {
    [ -s "$K8S/dev.yaml" ] || check_kustomize >/dev/null || return 1
    export BC_SKIP_MAPPING=TRUE
    "$CHECKOV/checkov" --config-file .checkov.yaml -d "$K8S" --framework kubernetes \
        && "$CHECKOV/checkov" --config-file .checkov.yaml -d docker --framework dockerfile
}

check_ansible() {
    local rc=0 playbook
    export ANSIBLE_CONFIG=$REPO/ansible/ansible.cfg PATH="$ANSIBLE:$PATH"
    export NST_KUBECTL=$LINT/kubectl
    for playbook in ansible/cleanup.yml ansible/deploy-k8s.yml ansible/deploy-elk.yml \
                    ansible/umbrella-playbook.yml; do
        "$ANSIBLE/ansible-playbook" --syntax-check -i ansible/inventory.ini "$playbook" \
            >/dev/null || { echo "syntax-check failed: $playbook"; rc=1; }
    done
    (cd ansible && "$ANSIBLE/ansible-lint" --offline --nocolor -q \
        cleanup.yml deploy-k8s.yml deploy-elk.yml umbrella-playbook.yml) || rc=1
    # The role's rendering path for real (kustomize lookup, image overrides), no cluster.
    local target
    for target in staging production; do
        "$ANSIBLE/ansible-playbook" -i ansible/inventory.ini ansible/deploy-k8s.yml \
            --limit "$target" -e nst_k8s_render_only=true -e nst_image_tag=ci-check \
            -e "nst_k8s_render_dest=$OUT/ansible-$target.yaml" >"$OUT/ansible-$target.log" 2>&1 \
            || { tail -20 "$OUT/ansible-$target.log"; rc=1; continue; }
        grep -q 'registry.example.com/nst/inference:ci-check' "$OUT/ansible-$target.yaml" \
            || { echo "render-only $target: image tag not applied"; rc=1; }
    done
    return $rc
}

check_compose() {
    command -v docker-compose >/dev/null \
        || { echo "docker-compose missing (apt-get install docker-compose)"; return 1; }
    # The real file with the example settings; the token is required, so give a dummy one.
    local env_file=$OUT/compose.env
    { cat .env.example; echo "NST_ADMIN_TOKEN=static-check-placeholder"; } >"$env_file"  # pragma: allowlist secret (placeholder)
    docker-compose --env-file "$env_file" -f docker-compose.yml config -q || return 1
    local services
    services=$(docker-compose --env-file "$env_file" -f docker-compose.yml config --services | sort | tr '\n' ' ')
    echo "  services: $services"
    [ "$services" = "bootstrap fine-tuning frontend gateway model1 model2 model3 model4 " ] \
        || { echo "unexpected compose services"; return 1; }
}

check_jenkins() {
    "$LINT/python" scripts/ci/jenkinsfile_outline.py Jenkinsfile jenkins/*.Jenkinsfile \
        >"$OUT/jenkinsfiles.json"
}

check_shell() {
    local rc=0 f
    for f in scripts/ci/*.sh docker/*.sh; do
        bash -n "$f" || rc=1
    done
    if command -v shellcheck >/dev/null; then
        shellcheck -S warning scripts/ci/*.sh docker/*.sh || rc=1
    else
        echo "  (shellcheck not installed: bash -n only)"
    fi
    return $rc
}

ALL=(hadolint yamllint kustomize checkov ansible compose jenkins shell)
[ $# -eq 0 ] || [ "$1" = all ] && set -- "${ALL[@]}"
failed=()
for check in "$@"; do
    start=$SECONDS
    echo "== $check"
    if "check_$check"; then
        echo "== $check: ok ($((SECONDS - start)) s)"
    else
        echo "== $check: FAILED ($((SECONDS - start)) s)"
        failed+=("$check")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "static checks failed: ${failed[*]}"
    exit 1
fi
echo "static checks passed: $*"
