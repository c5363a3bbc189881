"""`GET /v1/models`: the catalogue as the calling key may use it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from reef.api.deps import authenticated
from reef.api.state import app_state
from reef.engine.catalogue import ModelSpec
from reef.errors import NotFound
from reef.platform.types import Principal

router = APIRouter(tags=["openai"])


def _visible(principal: Principal, spec: ModelSpec) -> bool:
    return principal.allowed_models is None or spec.name in principal.allowed_models


def _model_body(spec: ModelSpec) -> dict[str, Any]:
    return {"id": spec.name, "object": "model", "created": spec.created, "owned_by": spec.owned_by}


@router.get("/v1/models")
async def list_models(
    request: Request, principal: Principal = Depends(authenticated)
) -> dict[str, Any]:
    catalogue = app_state(request).catalogue
    data = [_model_body(spec) for spec in catalogue if _visible(principal, spec)]
    return {"object": "list", "data": data}


@router.get("/v1/models/{model:path}")
async def retrieve_model(
    model: str, request: Request, principal: Principal = Depends(authenticated)
) -> dict[str, Any]:
    spec = app_state(request).catalogue.models.get(model)
    if spec is None or not _visible(principal, spec):
        raise NotFound(f"The model `{model}` does not exist", param="model")
    return _model_body(spec)
