"""The feedback-driven fine-tune trigger of the NST_App pipeline.

The trigger itself is `python -m fine_tuning_service.trigger --finetune-url URL
--threshold N` (it reads the ratings in the shared storage and asks for fine-tuning of
the models with at least N new ones). It has to run where the storage and the
fine-tuning service are, so on a cluster it runs as a Job made from the CronJob
`finetune-trigger` (kubernetes/base/finetune-trigger.yaml) with this build's threshold;
the Job's logs are printed and its outcome is this script's exit status.

    python3 scripts/ci/finetune_trigger.py --namespace nst-dev --threshold 5
    python3 scripts/ci/finetune_trigger.py --url http://127.0.0.1:8005 --threshold 5  # local
    python3 scripts/ci/finetune_trigger.py --cronjob-json cj.json --threshold 5 --dry-run

Standard library only (kubectl for the cluster mode).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def job_from_cronjob(cronjob: dict[str, Any], threshold: int, name: str) -> dict[str, Any]:
    """A Job from the CronJob's template, with the trigger's --threshold set."""
    spec = json.loads(json.dumps(cronjob["spec"]["jobTemplate"]["spec"]))
    container = spec["template"]["spec"]["containers"][0]
    args = list(container.get("args", []))
    if "--threshold" in args:
        args[args.index("--threshold") + 1] = str(threshold)
    else:
        args += ["--threshold", str(threshold)]
    container["args"] = args
    labels = dict(cronjob["metadata"].get("labels", {}))
    labels["nst.io/triggered-by"] = "ci"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cronjob["metadata"].get("namespace"),
            "labels": labels,
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
        },
        "spec": spec,
    }


def kubectl(args: list[str], namespace: str, binary: str, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, "--namespace", namespace, *args], input=stdin, text=True,
                          capture_output=True, check=check)


def run_in_cluster(args: argparse.Namespace) -> int:
    name = f"finetune-trigger-{os.environ.get('BUILD_NUMBER', int(time.time()))}"
    if args.cronjob_json:
        cronjob = json.loads(Path(args.cronjob_json).read_text())
    else:
        cronjob = json.loads(kubectl(["get", "cronjob", "finetune-trigger", "-o", "json"],
                                     args.namespace, args.kubectl).stdout)
    job = job_from_cronjob(cronjob, args.threshold, name)
    if args.dry_run:
        json.dump(job, sys.stdout, indent=2)
        print()
        return 0
    kubectl(["create", "-f", "-"], args.namespace, args.kubectl, stdin=json.dumps(job))
    print(f"job/{name} created (threshold {args.threshold})")
    done = kubectl(["wait", f"job/{name}", "--for=condition=complete",
                    f"--timeout={args.timeout}s"], args.namespace, args.kubectl, check=False)
    logs = kubectl(["logs", f"job/{name}", "--all-containers"], args.namespace, args.kubectl,
                   check=False)
    print(logs.stdout, end="")
    if done.returncode != 0:
        print(f"job/{name} did not complete: {done.stderr.strip()}", file=sys.stderr)
        return 1
    return 0


def run_locally(args: argparse.Namespace) -> int:
    command = [args.python, "-m", "fine_tuning_service.trigger",
               "--finetune-url", args.url, "--threshold", str(args.threshold)]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=int, default=5)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--namespace", default="nst-dev")
    where.add_argument("--url", help="run the trigger here against this fine-tuning URL")
    parser.add_argument("--cronjob-json", help="read the CronJob from this file (tests)")
    parser.add_argument("--dry-run", action="store_true", help="print the Job, create nothing")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--kubectl", default=os.environ.get("NST_KUBECTL", "kubectl"))
    parser.add_argument("--python", default=os.environ.get("NST_PYTHON", ".venv/bin/python"))
    args = parser.parse_args(argv)
    if args.threshold < 1:
        parser.error("--threshold must be at least 1")
    return run_locally(args) if args.url else run_in_cluster(args)


if __name__ == "__main__":
    sys.exit(main())
