"""Calls to the inference services: binary bodies, timeouts, bounded retries with jittered
backoff inside an overall deadline, and one circuit breaker per model."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx
import pybreaker
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from nst_core.errors import NSTError, UnknownModel, UpstreamTimeout, UpstreamUnavailable
from nst_core.logs import request_id_var

from .core.config import GatewaySettings

log = logging.getLogger("nst.gateway")


class _Retryable(Exception):
    """An attempt that may succeed if repeated (connection refused, 503)."""

    def __init__(self, reason: str, status_code: int, retry_after: int = 2) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True)
class InferenceResult:
    png: bytes
    version: str
    width: int
    height: int
    infer_ms: float


class InferenceClient:
    def __init__(self, settings: GatewaySettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.breakers = {
            model: pybreaker.CircuitBreaker(
                fail_max=settings.breaker_fail_max,
                reset_timeout=settings.breaker_reset_s,
                # Client mistakes (bad image) say nothing about the service's health.
                exclude=[lambda e: isinstance(e, NSTError) and e.status_code < 500],
                name=model,
            )
            for model in settings.inference_urls
        }

    def url_for(self, model: str) -> str:
        try:
            return self.settings.inference_urls[model].rstrip("/")
        except KeyError as exc:
            raise UnknownModel(f"unknown model {model!r}") from exc

    async def stylize(self, model: str, image: bytes, strength: float,
                      preserve_colors: bool) -> InferenceResult:
        url = self.url_for(model) + "/infer"
        breaker = self.breakers[model]
        deadline = time.monotonic() + self.settings.request_deadline_s
        params = {"strength": str(strength), "preserve_colors": str(preserve_colors).lower()}
        try:
            with breaker.calling():
                return await self._with_retries(url, image, params, deadline)
        except pybreaker.CircuitBreakerError as exc:
            raise UpstreamUnavailable(
                f"inference for {model} is failing; circuit open, retry later",
                retry_after=int(self.settings.breaker_reset_s),
            ) from exc

    async def _with_retries(self, url: str, image: bytes, params: dict[str, str],
                            deadline: float) -> InferenceResult:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(1 + self.settings.upstream_retries)
            | stop_after_delay(max(0.0, deadline - time.monotonic())),
            wait=wait_random_exponential(multiplier=0.2, max=2.0),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(url, image, params, deadline)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            assert isinstance(last, _Retryable)
            raise UpstreamUnavailable(last.reason, status_code=last.status_code,
                                      retry_after=last.retry_after) from exc
        raise AssertionError("unreachable")

    async def _attempt(self, url: str, image: bytes, params: dict[str, str],
                       deadline: float) -> InferenceResult:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamTimeout("inference did not answer within the request deadline")
        timeout = httpx.Timeout(min(self.settings.infer_timeout_s, remaining),
                                connect=self.settings.connect_timeout_s)
        headers = {"Content-Type": "application/octet-stream",
                   "X-Request-ID": request_id_var.get() or ""}
        try:
            response = await self.client.post(url, content=image, params=params,
                                              headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise _Retryable("inference service is unreachable", 502) from exc
            raise UpstreamTimeout("inference service timed out") from exc
        except httpx.TransportError as exc:
            raise _Retryable("inference service is unreachable", 502) from exc
        if response.status_code == 200:
            return InferenceResult(
                png=response.content,
                version=response.headers.get("x-model-version", "unknown"),
                width=int(response.headers.get("x-image-width", 0)),
                height=int(response.headers.get("x-image-height", 0)),
                infer_ms=float(response.headers.get("x-inference-ms", 0)),
            )
        detail = _detail_of(response)
        if response.status_code in (502, 503, 504):
            retry_after = response.headers.get("retry-after", "2")
            raise _Retryable(f"inference service unavailable: {detail}", 503,
                             int(retry_after) if retry_after.isdigit() else 2)
        if 400 <= response.status_code < 500:
            error = NSTError(detail)
            error.status_code = response.status_code
            raise error
        raise UpstreamUnavailable(f"inference service error: {detail}", status_code=502)

    async def probe(self, model: str) -> dict | None:
        """The inference service's /ready body, or None when it does not answer in time."""
        try:
            response = await self.client.get(
                self.url_for(model) + "/ready", timeout=self.settings.models_probe_timeout_s
            )
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None


def _detail_of(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else f"HTTP {response.status_code}"
