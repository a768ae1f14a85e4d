from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from nst_core.settings import CoreSettings


class FineTuneSettings(CoreSettings):
    # Unset means every admin call is refused (never "open by default").
    admin_token: SecretStr | None = None
    # Optional extra training images: <curated_dir>/<model_id>/*.{jpg,png,webp}
    curated_dir: Path | None = None
    # Candidate may be at most this much worse (relative) than its parent on the eval set.
    promotion_margin: float = 0.05
    eval_images: int = 4
    # Style painting is scaled so its longer side is at most this (Gram targets).
    style_max_side: int = 512
    max_training_images: int = 500


@lru_cache
def get_settings() -> FineTuneSettings:
    return FineTuneSettings()
