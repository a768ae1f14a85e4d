"""Ask the fine-tuning service to fine-tune a model (the FineTuneModels pipeline).

    NST_ADMIN_TOKEN=... python3 scripts/ci/finetune_request.py --model model4 \
        --param max_steps=200 --param learning_rate=0.001 [--url URL | --namespace NS] \
        [--wait true] [--output finetune-job.json]

POST /finetune with `Authorization: Bearer $NST_ADMIN_TOKEN` and the JSON body
{"model": ..., <params>} must answer 202 {"job_id"}; with --wait, GET /jobs/<id> is polled
until the job has succeeded (exit 0) or failed (exit 1). The service is not exposed
outside the cluster: without --url, a `kubectl port-forward svc/fine-tuning` to a free
local port is opened for the duration of the run (and always closed).
The token is read from the environment only and is never printed or put on a command line.
Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NUMERIC = {"epochs", "batch_size", "image_size", "max_steps"}
FLOATS = {"learning_rate", "style_weight", "content_weight", "tv_weight"}
FINAL = {"succeeded", "failed"}


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """key=value pairs; empty values are left out (the service's default applies)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--param wants key=value, got {pair!r}")
        if value == "":
            continue
        if key in NUMERIC:
            params[key] = int(value)
        elif key in FLOATS:
            params[key] = float(value)
        else:
            params[key] = value
    return params


def call(method: str, url: str, token: str, body: dict[str, Any] | None = None,
         timeout: float = 30) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read() or b"{}")
        except json.JSONDecodeError:
            detail = {"detail": exc.reason}
        return exc.code, detail


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def port_forward(namespace: str, kubectl: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [kubectl, "--namespace", namespace, "port-forward", "svc/fine-tuning", f"{port}:8000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"kubectl port-forward failed: {proc.stderr.read().decode()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(args: argparse.Namespace, base_url: str, token: str) -> int:
    body = {"model": args.model, **parse_params(args.param)}
    print(f"POST {base_url}/finetune {json.dumps(body)}")
    status, answer = call("POST", f"{base_url}/finetune", token, body)
    if status != 202 or "job_id" not in answer:
        print(f"fine-tuning request refused: HTTP {status} {answer}", file=sys.stderr)
        return 1
    job_id = str(answer["job_id"])
    print(f"job {job_id} accepted")
    result: dict[str, Any] = {"job_id": job_id, "model": args.model, "request": body}
    code = 0
    if args.wait:
        deadline = time.monotonic() + args.timeout
        while True:
            status, job = call("GET", f"{base_url}/jobs/{job_id}", token)
            if status != 200:
                print(f"GET /jobs/{job_id}: HTTP {status} {job}", file=sys.stderr)
                return 1
            print(f"job {job_id}: {job.get('status')} progress={job.get('progress')}")
            if job.get("status") in FINAL:
                break
            if time.monotonic() > deadline:
                print(f"job {job_id} not finished after {args.timeout} s", file=sys.stderr)
                code = 1
                break
            time.sleep(args.poll_interval)
        result["job"] = job
        if job.get("status") == "failed":
            code = 1
        elif job.get("status") == "succeeded":
            print(f"job {job_id} produced version {job.get('version')}")
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="base URL of the fine-tuning service")
    where.add_argument("--namespace", default="nst-dev",
                       help="namespace to port-forward svc/fine-tuning from (default nst-dev)")
    parser.add_argument("--wait", default="true", type=lambda v: v.lower() in ("1", "true", "yes"))
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    parser.add_argument("--poll-interval", type=float, default=10)
    parser.add_argument("--output")
    parser.add_argument("--kubectl", default=os.environ.get("NST_KUBECTL", "kubectl"))
    args = parser.parse_args(argv)
    token = os.environ.get("NST_ADMIN_TOKEN", "")
    if not token:
        print("NST_ADMIN_TOKEN is not set", file=sys.stderr)
        return 2
    if args.url:
        return run(args, args.url.rstrip("/"), token)
    with port_forward(args.namespace, args.kubectl) as base_url:
        return run(args, base_url, token)


if __name__ == "__main__":
    sys.exit(main())
