"""Import published per-variable checkpoints as version v1 of a model, and bootstrap a
storage directory with the default models (`python -m nst_core.importer`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import httpx

from .defaults import DEFAULT_MODELS, STYLE_IMAGE_BASE, DefaultModel
from .errors import ModelImportError, NSTError
from .registry import ModelRegistry, save_network
from .settings import CoreSettings
from .weights import fetcher_for, is_url, load_checkpoint

log = logging.getLogger("nst.importer")


def _style_image(source: str, model: DefaultModel) -> bytes:
    try:
        return fetcher_for(source, model.checkpoint)("style.jpg")
    except (OSError, httpx.HTTPError):
        if not is_url(source):
            raise
    # The published checkpoints do not carry the painting; fetch it from the examples.
    response = httpx.get(f"{STYLE_IMAGE_BASE}/{model.style_image_file}", timeout=60,
                         follow_redirects=True)
    response.raise_for_status()
    return response.content


def import_model(registry: ModelRegistry, model: DefaultModel, source: str) -> str:
    """Create the model (if needed) and import its checkpoint as a new version, served."""
    from .network import TransformNet

    weights = load_checkpoint(source, model.checkpoint)
    try:
        style = _style_image(source, model)
    except (OSError, httpx.HTTPError) as exc:
        raise ModelImportError(f"cannot fetch the style image of {model.id}: {exc}") from exc
    registry.create_model(model.id, model.name, model.checkpoint, style)
    net = TransformNet(weights)
    version = registry.write_version(
        model.id,
        lambda directory: save_network(net, directory),
        {"parent": None, "source": f"{source.rstrip('/')}/{model.checkpoint}",
         "kind": "imported"},
    )
    registry.set_latest(model.id, version)
    return version


def has_served_version(registry: ModelRegistry, model_id: str) -> bool:
    try:
        registry.latest(model_id)
        return True
    except (NSTError, OSError, ValueError):  # unknown model, unreadable files: import anew
        return False


def bootstrap(storage_dir: Path, source: str) -> dict[str, str]:
    """Import every default model that has no served version yet. Idempotent."""
    registry = ModelRegistry(storage_dir)
    for sub in ("input_images", "output_images", "models"):
        (storage_dir / sub).mkdir(parents=True, exist_ok=True)
    done: dict[str, str] = {}
    for model in DEFAULT_MODELS:
        if has_served_version(registry, model.id):
            done[model.id] = registry.latest(model.id)
            continue
        log.info("importing %s from %s", model.id, source)
        done[model.id] = import_model(registry, model, source)
    return done


def main() -> None:
    from .defaults import DEFAULT_MODEL_SOURCE
    from .logs import configure_logging

    class BootstrapSettings(CoreSettings):
        model_source: str = DEFAULT_MODEL_SOURCE

    settings = BootstrapSettings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--storage", type=Path, default=settings.storage_dir)
    parser.add_argument("--source", default=settings.model_source,
                        help="directory or base URL of the per-variable checkpoints")
    args = parser.parse_args()
    configure_logging("bootstrap", settings.log_level, json_lines=False)
    for model_id, version in bootstrap(args.storage, args.source).items():
        print(f"{model_id}: serving {version}")


if __name__ == "__main__":
    main()
