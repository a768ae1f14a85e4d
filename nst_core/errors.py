"""Typed domain errors. Each carries the HTTP status it maps to; one handler per app
(`nst_core.http.install_error_handlers`) turns them into JSON `{"detail": ...}`."""

from __future__ import annotations


class NSTError(Exception):
    status_code: int = 500
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if headers is not None:
            self.headers = headers


# --- image intake -----------------------------------------------------------
class ImageError(NSTError):
    status_code = 400


class EmptyImage(ImageError):
    status_code = 400


class UnsupportedImageFormat(ImageError):
    status_code = 415


class CorruptImage(ImageError):
    status_code = 400


class ImageTooLarge(ImageError):
    """Too many pixels (a decompression bomb is one of these)."""

    status_code = 413


class PayloadTooLarge(ImageError):
    """Too many bytes."""

    status_code = 413


class ImageTooSmall(ImageError):
    status_code = 422


# --- models and versions ----------------------------------------------------
class InvalidModelId(NSTError):
    status_code = 400


class UnknownModel(NSTError):
    status_code = 404


class InvalidVersion(NSTError):
    status_code = 400


class VersionNotFound(NSTError):
    status_code = 404


class ModelNotReady(NSTError):
    status_code = 503

    def __init__(self, detail: str = "model is not loaded yet") -> None:
        super().__init__(detail, headers={"Retry-After": "2"})


class ModelImportError(NSTError):
    status_code = 500


# --- requests and services --------------------------------------------------
class BadRequest(NSTError):
    status_code = 400


class NotFound(NSTError):
    status_code = 404


class Conflict(NSTError):
    status_code = 409


class Unprocessable(NSTError):
    status_code = 422


class UpstreamUnavailable(NSTError):
    status_code = 503

    def __init__(self, detail: str, *, status_code: int = 503, retry_after: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.status_code = status_code


class UpstreamTimeout(NSTError):
    status_code = 504


class StorageFull(NSTError):
    status_code = 507


class Unauthorized(NSTError):
    status_code = 401

    def __init__(self, detail: str = "missing or invalid bearer token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="nst-admin"'})


class Forbidden(NSTError):
    status_code = 403
