#!/usr/bin/env python3
"""Serve the browser UI locally (the `frontend:` line of the Procfile).

With Nginx installed: render frontend/nginx.conf into a run directory (default `.run/nginx/`,
gitignored) and `exec` Nginx in the foreground, so the process manager's signals reach it.
Without Nginx: say so, and serve the same files and the same /api/ proxy from
frontend/devserver.py (no rate limit, no gzip; fine for one person on one machine).

Environment: NST_FRONTEND_PORT (8080), NST_GATEWAY_URL (http://127.0.0.1:8000),
NST_BIND_HOST (127.0.0.1), NST_MAX_UPLOAD_BYTES (10485760), NST_FRONTEND_RUN_DIR,
NST_FRONTEND_SERVER (auto | nginx | python), NST_NGINX_BIN.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "frontend"
TEMPLATE = FRONTEND / "nginx.conf"
# Multipart framing the gateway allows on top of the image (GatewaySettings).
MULTIPART_OVERHEAD = 64 * 1024
PLACEHOLDERS = ("NST_FRONTEND_LISTEN", "NST_GATEWAY_UPSTREAM", "NST_STATIC_ROOT",
                "NST_NGINX_RUN_DIR", "NST_CLIENT_MAX_BODY_SIZE")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Debian and friends keep nginx in sbin, which is not on a normal user's PATH.
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def find_nginx() -> str | None:
    explicit = os.environ.get("NST_NGINX_BIN")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in NGINX_CANDIDATES if os.access(path, os.X_OK)), None)


def gateway_upstream(url: str) -> str:
    """`http://host:port` -> `host:port` for an Nginx upstream block."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise SystemExit(f"NST_GATEWAY_URL must look like http://host:port, got {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port or 80}"


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render(template: str, values: dict[str, str]) -> str:
    """envsubst restricted to PLACEHOLDERS: Nginx's own `$variables` stay untouched."""
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise ValueError(f"no value for {sorted(missing)}")
    text = template
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    leftover = re.findall(r"\$\{NST_[A-Z_]+\}", text)
    if leftover:
        raise ValueError(f"unknown placeholders in template: {sorted(set(leftover))}")
    return text


def worker_user_line(static_root: Path) -> str:
    """As root, Nginx's default worker user is `nobody:nobody`, and group nobody does not exist
    on Debian. Run the workers as the owner of the files they serve instead."""
    if os.geteuid() != 0:
        return ""
    import grp
    import pwd

    stat = static_root.stat()
    user = pwd.getpwuid(stat.st_uid).pw_name
    group = grp.getgrgid(stat.st_gid).gr_name
    return f"user {user} {group};\n"


def prepare_nginx(run_dir: Path, listen: str, gateway_url: str, max_upload: int) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    static_root = FRONTEND.resolve()
    for name in TEMP_DIRS:
        (run_dir / name).mkdir(exist_ok=True)
        if os.geteuid() == 0:  # workers (not root) write request bodies here
            st = static_root.stat()
            os.chown(run_dir / name, st.st_uid, st.st_gid)
    values = {
        "NST_FRONTEND_LISTEN": listen,
        "NST_GATEWAY_UPSTREAM": gateway_upstream(gateway_url),
        "NST_STATIC_ROOT": str(static_root),
        "NST_NGINX_RUN_DIR": str(run_dir.resolve()),
        "NST_CLIENT_MAX_BODY_SIZE": str(max_upload + MULTIPART_OVERHEAD),
    }
    conf = run_dir / "nginx.conf"
    text = worker_user_line(static_root) + render(TEMPLATE.read_text(), values)
    conf.write_text(text)
    return conf


def exec_nginx(nginx: str, conf: Path) -> None:
    run_dir = str(conf.parent.resolve())
    args = [nginx, "-p", run_dir, "-c", str(conf.resolve()), "-e", "stderr",
            "-g", "daemon off;"]
    print(f"frontend: nginx serving {FRONTEND} with config {conf}", file=sys.stderr, flush=True)
    os.execv(nginx, args)


def run_python(host: str, port: int, gateway_url: str, max_upload: int) -> None:
    print("frontend: nginx is not installed; serving the UI with the Python fallback "
          f"(frontend/devserver.py) on http://{listen_address(host, port)}, /api/ -> "
          f"{gateway_url}. Install nginx for gzip, rate limiting and production headers.",
          file=sys.stderr, flush=True)
    sys.path.insert(0, str(REPO))
    import uvicorn

    from frontend.devserver import create_app

    app = create_app(gateway_url, max_body=max_upload + MULTIPART_OVERHEAD)
    uvicorn.run(app, host=host, port=port, log_level="info")


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(env.get("NST_FRONTEND_PORT", "8080")))
    parser.add_argument("--host", default=env.get("NST_BIND_HOST", "127.0.0.1"))
    parser.add_argument("--gateway", default=env.get("NST_GATEWAY_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--run-dir", type=Path,
                        default=Path(env.get("NST_FRONTEND_RUN_DIR", REPO / ".run" / "nginx")))
    parser.add_argument("--server", choices=("auto", "nginx", "python"),
                        default=env.get("NST_FRONTEND_SERVER", "auto"))
    parser.add_argument("--render-only", action="store_true",
                        help="write the Nginx config, print its path, and exit")
    args = parser.parse_args(argv)
    max_upload = int(env.get("NST_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))

    nginx = find_nginx() if args.server != "python" else None
    if args.server == "nginx" and not nginx:
        print("frontend: NST_FRONTEND_SERVER=nginx but no nginx binary was found "
              "(install it, or set NST_NGINX_BIN)", file=sys.stderr)
        return 1
    if nginx or args.render_only:
        conf = prepare_nginx(args.run_dir, listen_address(args.host, args.port), args.gateway,
                             max_upload)
        if args.render_only:
            print(conf)
            return 0
        assert nginx is not None
        exec_nginx(nginx, conf)
    run_python(args.host, args.port, args.gateway, max_upload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
