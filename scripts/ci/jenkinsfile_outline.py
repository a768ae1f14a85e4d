"""Parse Jenkinsfiles with a real Groovy 3 grammar (PyPI groovy-parser) and print their
outline as JSON: every command call (`name 'arg' { ... }`) as {"name", "args", "body"},
nested the way the file nests them. A file that does not parse fails the run.

Runs in the .venv-tools/lint venv (it has groovy-parser):
    python scripts/ci/jenkinsfile_outline.py Jenkinsfile jenkins/*.Jenkinsfile
Tests (tests/delivery) read this outline to check the pipelines' stages and sections.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Node = dict[str, Any]


def _rule(node: Node) -> list[str]:
    return node.get("rule", [])


def _first_identifier(node: Node) -> str | None:
    if "leaf" in node:
        return node["value"] if node["leaf"] == "IDENTIFIER" else None
    for child in node.get("children", []):
        found = _first_identifier(child)
        if found:
            return found
    return None


def _strings(node: Node) -> list[str]:
    """String literals of a call's arguments, not descending into closures."""
    if "leaf" in node:
        return [node["value"]] if node["leaf"] in ("STRING_LITERAL", "STRING_LITERAL_PART") else []
    if "block" in _rule(node) or "command_expression" in _rule(node):
        return []
    out: list[str] = []
    for child in node.get("children", []):
        out.extend(_strings(child))
    return out


def _blocks(node: Node) -> list[Node]:
    """Closure bodies directly attached to a call (not those of nested calls)."""
    if "leaf" in node:
        return []
    if "block" in _rule(node):
        return [node]
    if "command_expression" in _rule(node):
        return []
    out: list[Node] = []
    for child in node.get("children", []):
        out.extend(_blocks(child))
    return out


def calls(node: Node) -> list[dict[str, Any]]:
    """The command calls found in `node`, each with its nested calls."""
    if "leaf" in node:
        return []
    if "command_expression" in _rule(node):
        head, *rest = node["children"]
        name = _first_identifier(head)
        args = _strings(head) + [s for part in rest for s in _strings(part)]
        body: list[dict[str, Any]] = []
        for part in node["children"]:
            for block in _blocks(part):
                for child in block.get("children", []):
                    body.extend(calls(child))
        return [{"name": name, "args": args, "body": body}]
    out: list[dict[str, Any]] = []
    for child in node.get("children", []):
        out.extend(calls(child))
    return out


def outline(path: Path) -> list[dict[str, Any]]:
    from groovy_parser.parser import digest_lark_tree, parse_groovy_content

    return calls(digest_lark_tree(parse_groovy_content(path.read_text())))


def main(argv: list[str]) -> int:
    result = {}
    for name in argv:
        try:
            result[name] = outline(Path(name))
        except Exception as exc:  # the parser raises its own error types
            print(f"{name}: does not parse as Groovy: {exc}", file=sys.stderr)
            return 1
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
