from __future__ import annotations

from functools import lru_cache

from nst_core.settings import CoreSettings


def _local_inference_urls() -> dict[str, str]:
    return {f"model{i}": f"http://127.0.0.1:{8000 + i}" for i in range(1, 5)}


class GatewaySettings(CoreSettings):
    # NST_INFERENCE_URLS='{"model1": "http://model1:8000", ...}' in containers.
    inference_urls: dict[str, str] = _local_inference_urls()
    connect_timeout_s: float = 2.0
    # One inference call (a 4 MP image takes ~10 s on 2 cores in fp32).
    infer_timeout_s: float = 60.0
    # Whole /stylize budget, retries included.
    request_deadline_s: float = 90.0
    upstream_retries: int = 2
    breaker_fail_max: int = 5
    breaker_reset_s: float = 10.0
    models_probe_timeout_s: float = 0.5
    max_comment_chars: int = 10_000
    # Multipart framing on top of the image itself.
    multipart_overhead_bytes: int = 64 * 1024


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
