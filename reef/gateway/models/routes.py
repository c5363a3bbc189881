"""`GET /v1/models`: the catalogue as the calling key may use it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from reef.engine.catalogue import ModelSpec
from reef.errors import NotFound
from reef.http.deps import Caller, State
from reef.http.schemas import COMMON_ERRORS
from reef.platform.types import Principal

router = APIRouter(tags=["openai"], responses=COMMON_ERRORS)


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def _visible(principal: Principal, spec: ModelSpec) -> bool:
    return principal.allowed_models is None or spec.name in principal.allowed_models


def _model_body(spec: ModelSpec) -> dict[str, Any]:
    return {"id": spec.name, "object": "model", "created": spec.created, "owned_by": spec.owned_by}


@router.get("/v1/models", response_model=ModelList)
async def list_models(state: State, principal: Caller) -> dict[str, Any]:
    data = [_model_body(spec) for spec in state.catalogue if _visible(principal, spec)]
    return {"object": "list", "data": data}


@router.get("/v1/models/{model:path}", response_model=Model)
async def retrieve_model(model: str, state: State, principal: Caller) -> dict[str, Any]:
    spec = state.catalogue.models.get(model)
    if spec is None or not _visible(principal, spec):
        raise NotFound(f"The model `{model}` does not exist", param="model")
    return _model_body(spec)
