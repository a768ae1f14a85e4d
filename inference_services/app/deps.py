from __future__ import annotations

from fastapi import Request

from .model_server import ModelServer


def get_model_server(request: Request) -> ModelServer:
    return request.app.state.model_server
