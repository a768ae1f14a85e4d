#!/usr/bin/env bash
# Deploy with Ansible: Jenkins' "Deploy to staging" / "Deploy to production" stages.
#
#   scripts/ci/deploy.sh staging|production [extra ansible-playbook args...]
#
# Runs ansible/${PLAYBOOK:-deploy-k8s.yml} for that inventory group with this build's image
# registry and tag (REGISTRY, IMAGE_TAG). Needs KUBECONFIG and NST_ADMIN_TOKEN in the
# environment (Jenkins credentials); the Ansible venv is .venv-tools/ansible.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: deploy.sh staging|production}
shift
case $target in staging|production) ;; *) echo "unknown target $target" >&2; exit 2 ;; esac

make --no-print-directory delivery-tools-ansible delivery-tools-lint >/dev/null
venv=$PWD/.venv-tools
export PATH="$venv/ansible/bin:$PATH"
export ANSIBLE_CONFIG=$PWD/ansible/ansible.cfg
export NST_KUBECTL=${NST_KUBECTL:-$venv/lint/bin/kubectl}
tag=${IMAGE_TAG:-$(git rev-parse --short=12 HEAD)}

exec ansible-playbook -i ansible/inventory.ini "ansible/${PLAYBOOK:-deploy-k8s.yml}" \
    --limit "$target" \
    -e "nst_image_tag=$tag" -e "nst_image_registry=${REGISTRY:-registry.example.com}" "$@"
