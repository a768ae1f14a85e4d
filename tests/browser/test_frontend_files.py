"""The UI's files and the Nginx template, without a browser: no inline code (the CSP forbids
it), nothing fetched from other origins, and a template that renders the same with the
Python runner and with envsubst (the Docker image's way)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from frontend.devserver import SECURITY_HEADERS
from tests.support.frontend import RUNNER, load_runner, require_nginx
from tests.support.processes import REPO

FRONTEND = REPO / "frontend"
TEXT_FILES = [FRONTEND / "index.html", *sorted((FRONTEND / "static").rglob("*.css")),
              *sorted((FRONTEND / "static").rglob("*.js"))]


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        self.problems += [f"{name}= on <{tag}>" for name in names
                          if name == "style" or name.startswith("on")]


def test_page_has_no_inline_code() -> None:
    parser = _Inline()
    parser.feed((FRONTEND / "index.html").read_text())
    assert parser.problems == []


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_nothing_comes_from_other_origins(path: Path) -> None:
    # Works offline: no CDN, no web fonts, no analytics.
    text = path.read_text()
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", text), path
    assert "@import" not in text and "fonts.googleapis" not in text


def render_values() -> dict[str, str]:
    return {"NST_FRONTEND_LISTEN": "8080", "NST_GATEWAY_UPSTREAM": "gateway:8000",
            "NST_STATIC_ROOT": "/usr/share/nginx/html", "NST_NGINX_RUN_DIR": "/tmp/nginx",
            "NST_CLIENT_MAX_BODY_SIZE": "10551296"}


def test_template_renders_every_placeholder() -> None:
    runner = load_runner()
    template = (FRONTEND / "nginx.conf").read_text()
    rendered = runner.render(template, render_values())
    assert not re.search(r"\$\{?NST_[A-Z]", rendered)
    # Nginx's own variables are left alone.
    for variable in ("$binary_remote_addr", "$proxy_add_x_forwarded_for", "$request_id"):
        assert variable in rendered
    assert "server gateway:8000;" in rendered
    assert "client_max_body_size 10551296;" in rendered
    assert set(re.findall(r"\$\{(NST_[A-Z_]+)\}", template)) == set(runner.PLACEHOLDERS)


def test_envsubst_renders_the_same_as_the_runner() -> None:
    envsubst = shutil.which("envsubst")
    if not envsubst:
        pytest.skip("envsubst (gettext-base) is not installed")
    runner = load_runner()
    template = (FRONTEND / "nginx.conf").read_text()
    shell_format = " ".join("${" + name + "}" for name in runner.PLACEHOLDERS)
    result = subprocess.run([envsubst, shell_format], input=template, capture_output=True,
                            text=True, env={**os.environ, **render_values()}, check=True)
    assert result.stdout == runner.render(template, render_values())


def test_body_cap_follows_the_gateway_setting(tmp_path: Path) -> None:
    env = {**os.environ, "NST_MAX_UPLOAD_BYTES": "1000000"}
    out = subprocess.run([sys.executable, str(RUNNER), "--render-only", "--run-dir",
                          str(tmp_path)], env=env, capture_output=True, text=True, check=True)
    conf = Path(out.stdout.strip()).read_text()
    assert f"client_max_body_size {1_000_000 + 65536};" in conf


def test_rendered_config_passes_nginx_check(tmp_path: Path) -> None:
    nginx = require_nginx()
    out = subprocess.run([sys.executable, str(RUNNER), "--render-only", "--run-dir",
                          str(tmp_path), "--port", "8080"],
                         capture_output=True, text=True, check=True)
    conf = out.stdout.strip()
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", conf, "-e", "stderr"],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_fallback_sends_the_same_security_headers_as_nginx() -> None:
    template = (FRONTEND / "nginx.conf").read_text()
    server_level = re.split(r"^\s+location ", template, maxsplit=1, flags=re.M)[0]
    nginx_headers = dict(re.findall(r'add_header ([\w-]+) "([^"]*)" always;', server_level))
    assert nginx_headers == SECURITY_HEADERS
