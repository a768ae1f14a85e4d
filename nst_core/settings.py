"""Settings shared by every service. Services subclass `CoreSettings` and add their own."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NST_", extra="ignore")

    storage_dir: Path = Path("persistent_storage")
    # Byte cap of one upload; Nginx's client_max_body_size is derived from the same figure.
    max_upload_bytes: int = 10 * 1024 * 1024
    # Pixel cap: keeps one request's activations (~170 bytes a pixel in fp32) bounded.
    max_pixels: int = 4_200_000
    min_side: int = 16
    log_level: str = "INFO"
    log_json: bool = True
