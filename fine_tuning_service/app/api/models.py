"""Admin routes over the registry: version history, promote, rollback. Each move is one
atomic `latest.txt` replace; the inference services pick it up within a poll interval."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from nst_core.errors import Conflict, VersionNotFound
from nst_core.registry import ModelRegistry, validate_version

from ..auth import require_admin
from ..deps import get_registry

router = APIRouter(tags=["models"], dependencies=[Depends(require_admin)])


class PromoteIn(BaseModel):
    version: str


class Moved(BaseModel):
    model: str
    version: str
    previous: str | None


def _served(registry: ModelRegistry, model_id: str) -> str | None:
    try:
        return registry.latest(model_id)
    except VersionNotFound:
        return None


@router.get("/models")
async def models(registry: ModelRegistry = Depends(get_registry)) -> list[dict[str, Any]]:
    out = []
    for model_id in registry.list_models():
        versions = []
        for version in registry.list_versions(model_id):
            meta = registry.read_meta(model_id, version)
            evaluation = meta.get("evaluation") or {}
            versions.append({
                "version": version, "parent": meta.get("parent"), "kind": meta.get("kind"),
                "created": meta.get("created"), "candidate_loss":
                evaluation.get("candidate_loss"), "gate_reason": evaluation.get("reason"),
            })
        out.append({"id": model_id, "name": registry.info(model_id).name,
                    "served": _served(registry, model_id), "versions": versions,
                    "history": registry.history(model_id)[-20:]})
    return out


@router.post("/models/{model_id}/promote", response_model=Moved)
async def promote(model_id: str, body: PromoteIn,
                  registry: ModelRegistry = Depends(get_registry)) -> Moved:
    version = validate_version(body.version)
    previous = registry.set_latest(model_id, version)
    return Moved(model=model_id, version=version, previous=previous)


@router.post("/models/{model_id}/rollback", response_model=Moved)
async def rollback(model_id: str, registry: ModelRegistry = Depends(get_registry)) -> Moved:
    """Back to the version that was served before the current one."""
    current = _served(registry, model_id)
    for entry in reversed(registry.history(model_id)):
        if entry.get("to") == current and entry.get("from") and entry["from"] != current:
            target = entry["from"]
            if registry.is_complete(model_id, target):
                registry.set_latest(model_id, target)
                return Moved(model=model_id, version=target, previous=current)
    raise Conflict(f"{model_id} has no previous version to roll back to")
