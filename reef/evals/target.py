"""The server an evaluation talks to: the one at `--base-url`, or a private in-process one
(`LocalServer`) on the operator's settings and catalogue. Every product's evaluation checks
its options and the model here, before any work, so a typo fails in a second, not midway."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reef.engine.catalogue import Catalogue
from reef.errors import InvalidRequest, NotFound
from reef.evals.local_server import AppFactory, LocalServer
from reef.settings import Settings

SERVER_STARTUP_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Target:
    """Where a run's requests go and how the report should describe it."""

    base_url: str
    api_key: str
    described: str


def check_server_options(base_url: str | None, api_key: str | None, catalogue: Path | None) -> None:
    if (base_url is None) != (api_key is None):
        raise InvalidRequest(
            "--base-url and --api-key go together (or neither: a private server is started)",
            param="base_url",
            code="invalid_value",
        )
    if base_url is not None and catalogue is not None:
        raise InvalidRequest(
            "--catalogue configures the private server; the server at --base-url has its own",
            param="catalogue",
            code="invalid_value",
        )


def _load(catalogue_path: Path | None) -> tuple[Catalogue, str]:
    where = str(catalogue_path) if catalogue_path else "the built-in catalogue"
    try:
        return Catalogue.load(catalogue_path), where
    except (OSError, ValueError) as exc:  # TOML and validation errors are ValueErrors
        raise InvalidRequest(
            f"cannot load {where}: {exc}", param="catalogue", code="invalid_catalogue"
        ) from exc


def check_local_chat_model(model: str, catalogue_path: Path | None) -> None:
    """The private server's catalogue loads and has `model` as a chat model."""
    catalogue, where = _load(catalogue_path)
    try:
        catalogue.get(model, kind="chat")
    except NotFound as exc:
        chat = sorted(spec.name for spec in catalogue if spec.kind == "chat")
        raise NotFound(
            f"{model!r} is not a chat model of {where}; it has: {', '.join(chat)}",
            param="model",
            code="model_not_found",
        ) from exc


def first_chat_model(catalogue_path: Path | None) -> str:
    """The catalogue's first chat model: the default of evaluations that take any model."""
    catalogue, where = _load(catalogue_path)
    for spec in catalogue:
        if spec.kind == "chat":
            return spec.name
    raise InvalidRequest(f"{where} has no chat model", param="catalogue", code="no_chat_model")


@contextlib.contextmanager
def eval_target(
    settings: Settings,
    app_factory: AppFactory,
    *,
    base_url: str | None,
    api_key: str | None,
    catalogue: Path | None,
    org_name: str,
) -> Iterator[Target]:
    """The server at `base_url`, or a private one that lives as long as the block."""
    if base_url is not None and api_key is not None:
        yield Target(base_url, api_key, base_url)
        return
    with LocalServer(
        settings,
        app_factory,
        catalogue=catalogue,
        startup_timeout_s=SERVER_STARTUP_TIMEOUT_S,
        org_name=org_name,
    ) as local:
        yield Target(local.base_url, local.api_key, "in-process, fresh temporary data directory")
