"""Bearer-token guard for every admin route: constant-time comparison, and no token
configured means no access at all."""

from __future__ import annotations

import hmac

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nst_core.errors import Forbidden, Unauthorized

from .core.config import FineTuneSettings, get_settings

_bearer = HTTPBearer(auto_error=False, description="NST_ADMIN_TOKEN")


def require_admin(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    settings: FineTuneSettings = Depends(get_settings),
) -> None:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    configured = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not configured:
        raise Forbidden("admin access is disabled: NST_ADMIN_TOKEN is not configured")
    if not hmac.compare_digest(credentials.credentials.encode(), configured.encode()):
        raise Forbidden("invalid admin token")
