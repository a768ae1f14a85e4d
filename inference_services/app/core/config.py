from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field

from nst_core.settings import CoreSettings


class InferenceSettings(CoreSettings):
    # MODEL_NAME (no prefix) is the contract; NST_MODEL_NAME works too.
    model_name: str = Field(
        default="model1", validation_alias=AliasChoices("MODEL_NAME", "NST_MODEL_NAME")
    )
    poll_interval_s: float = 2.0
    # One request at a time uses every core through TensorFlow's intra-op pool; more
    # in parallel only thrash the caches. Requests past concurrency + queue are refused.
    max_concurrency: int = 1
    max_queue: int = 4
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    warmup_side: int = 64
    intra_op_threads: int = 0  # 0: TensorFlow's default (all cores)


@lru_cache
def get_settings() -> InferenceSettings:
    return InferenceSettings()
