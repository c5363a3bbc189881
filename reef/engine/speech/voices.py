"""The voice registry: local voices (a Piper model plus a prosody preset), the alias table that
maps OpenAI/MiniMax voice ids and model names onto them, and extra Piper voices found on disk."""

from __future__ import annotations

import importlib.util
import json
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reef.errors import InvalidRequest, NotFound

DEFAULT_VOICE_TABLE = Path(__file__).with_name("voices.toml")
VOICE_LIST_HINT = "list the voices with POST /v1/get_voice"
# Share of a Piper voice's duration that its length_scale leaves unchanged (frame rounding of
# short phonemes, edge silence): about a fifth, measured on the bundled voice across sentence
# lengths. The rest of a speed change is made up by time-stretching.
DEFAULT_RIGID_SHARE = 0.22

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voice:
    """One selectable voice. Noise and length values are Piper's own units, resolved against the
    model's defaults; pitch is in semitones, volume a linear gain, tilt -1 (dark) .. 1 (bright)."""

    voice_id: str
    name: str
    description: tuple[str, ...]
    model_path: Path
    speaker_id: int | None
    sample_rate: int
    language: str
    gender: str | None
    speed: float
    pitch: float
    volume: float
    tilt: float
    length_scale: float
    noise_scale: float
    noise_w: float
    rigid_share: float = DEFAULT_RIGID_SHARE


@dataclass(frozen=True)
class SpeechModel:
    """A local speech engine and the public model names that run on it."""

    model_id: str
    engine: str
    description: str
    aliases: tuple[str, ...]


class _ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    rigid_share: float = Field(default=DEFAULT_RIGID_SHARE, ge=0, lt=1)


class _VoiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    name: str
    description: list[str] = Field(default_factory=list)
    gender: str | None = None
    speaker: str | None = None
    speed: float = Field(default=1.0, gt=0)
    pitch: float = Field(default=0.0, ge=-12, le=12)
    volume: float = Field(default=1.0, ge=0)
    tilt: float = Field(default=0.0, ge=-1, le=1)
    noise_scale: float | None = Field(default=None, ge=0)
    noise_w: float | None = Field(default=None, ge=0)


class _SpeechModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)


class _VoiceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: dict[str, _ModelEntry] = Field(default_factory=dict)
    voices: dict[str, _VoiceEntry] = Field(default_factory=dict)
    voice_aliases: dict[str, str] = Field(default_factory=dict)
    speech_models: dict[str, _SpeechModelEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class _PiperModelInfo:
    """What a Piper `.onnx.json` tells us without loading the network."""

    path: Path
    sample_rate: int
    language: str
    dataset: str
    quality: str
    length_scale: float
    noise_scale: float
    noise_w: float
    speakers: dict[str, int]
    rigid_share: float = DEFAULT_RIGID_SHARE

    @classmethod
    def read(cls, model_path: Path, rigid_share: float = DEFAULT_RIGID_SHARE) -> _PiperModelInfo:
        config_path = Path(f"{model_path}.json")
        if not model_path.is_file() or not config_path.is_file():
            raise FileNotFoundError(
                f"Piper model {model_path} or its {config_path.name} is missing"
            )
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        inference = config.get("inference", {})
        language = config.get("language", {}).get("code") or config["espeak"]["voice"]
        return cls(
            path=model_path,
            sample_rate=int(config["audio"]["sample_rate"]),
            language=str(language),
            dataset=str(config.get("dataset", model_path.stem)),
            quality=str(config["audio"].get("quality", "")),
            length_scale=float(inference.get("length_scale", 1.0)),
            noise_scale=float(inference.get("noise_scale", 0.667)),
            noise_w=float(inference.get("noise_w", 0.8)),
            speakers={str(k): int(v) for k, v in config.get("speaker_id_map", {}).items()},
            rigid_share=rigid_share,
        )


class VoiceRegistry:
    """Lookup of voices and speech models by local id or by alias."""

    def __init__(
        self,
        voices: dict[str, Voice],
        aliases: dict[str, str],
        models: dict[str, SpeechModel],
    ) -> None:
        for alias, target in aliases.items():
            if target not in voices:
                raise ValueError(f"voice alias {alias!r} points to unknown voice {target!r}")
        self._voices = voices
        self._aliases = aliases
        self._models = models
        self._aliases_folded = {k.casefold(): v for k, v in aliases.items()}
        self._voices_folded = {k.casefold(): v for k, v in voices.items()}
        self._model_names: dict[str, SpeechModel] = {}
        for model in models.values():
            for name in (model.model_id, *model.aliases):
                self._model_names[name.casefold()] = model

    @classmethod
    def load(cls, table: Path | None = None, voices_dir: Path | None = None) -> VoiceRegistry:
        """Read a voice table (the built-in one by default) and add every Piper voice in
        `voices_dir` (`NAME.onnx` beside `NAME.onnx.json`) under its file stem."""
        raw = tomllib.loads((table or DEFAULT_VOICE_TABLE).read_text(encoding="utf-8"))
        parsed = _VoiceTable.model_validate(raw)
        infos = {
            name: _PiperModelInfo.read(resolve_model_path(entry.path), entry.rigid_share)
            for name, entry in parsed.models.items()
        }
        voices: dict[str, Voice] = {}
        for voice_id, entry in parsed.voices.items():
            if entry.model not in infos:
                raise ValueError(f"voice {voice_id!r} uses unknown model {entry.model!r}")
            voices[voice_id] = _preset_voice(voice_id, entry, infos[entry.model])
        if voices_dir is not None:
            for voice in scan_voices_dir(voices_dir):
                if voice.voice_id in voices:
                    _log.warning(
                        "voice %s in %s shadows a table voice; skipped", voice.voice_id, voices_dir
                    )
                    continue
                voices[voice.voice_id] = voice
        models = {
            model_id: SpeechModel(model_id, entry.engine, entry.description, tuple(entry.aliases))
            for model_id, entry in parsed.speech_models.items()
        }
        return cls(voices, dict(parsed.voice_aliases), models)

    def list_voices(self) -> list[Voice]:
        return list(self._voices.values())

    def list_models(self) -> list[SpeechModel]:
        return list(self._models.values())

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def resolve(self, voice_id: str, *, param: str = "voice") -> Voice:
        """The local voice for a local id or an alias; exact match first, then any case."""
        target = self._aliases.get(voice_id, voice_id)
        voice = self._voices.get(target)
        if voice is None:
            folded = voice_id.casefold()
            target = self._aliases_folded.get(folded, folded)
            voice = self._voices.get(target) or self._voices_folded.get(target)
        if voice is None:
            raise InvalidRequest(
                f"{param} {voice_id!r} is not available; {VOICE_LIST_HINT}",
                param=param,
                code="voice_not_found",
            )
        return voice

    def resolve_model(self, name: str, *, param: str = "model") -> SpeechModel:
        model = self._model_names.get(name.casefold())
        if model is None:
            known = ", ".join(sorted(m.model_id for m in self._models.values()))
            raise NotFound(
                f"The speech model `{name}` does not exist; local speech models: {known}",
                param=param,
            )
        return model


def scan_voices_dir(voices_dir: Path) -> list[Voice]:
    """Plain Piper voices found on disk, at the model's own delivery; a multi-speaker model gives
    one voice per speaker, named `STEM:SPEAKER`."""
    if not voices_dir.is_dir():
        return []
    found: list[Voice] = []
    for model_path in sorted(voices_dir.glob("*.onnx")):
        try:
            info = _PiperModelInfo.read(model_path)
        except (FileNotFoundError, KeyError, ValueError) as exc:
            _log.warning("skipping Piper voice %s: %s", model_path, exc)
            continue
        description = f"Piper voice {model_path.stem} ({info.language}, {info.quality})."
        speakers: list[tuple[str, int | None]] = (
            [(name, sid) for name, sid in sorted(info.speakers.items(), key=lambda kv: kv[1])]
            if info.speakers
            else [("", None)]
        )
        for speaker_name, speaker_id in speakers:
            voice_id = f"{model_path.stem}:{speaker_name}" if speaker_name else model_path.stem
            label = f"{info.dataset} {speaker_name}".strip()
            entry = _VoiceEntry(model=model_path.stem, name=label, description=[description])
            found.append(_preset_voice(voice_id, entry, info, speaker_id=speaker_id))
    return found


def resolve_model_path(path: str) -> Path:
    """A file path, or `package:pkg/rel` inside an installed wheel located without importing it
    (voice packages may have import side effects)."""
    if not path.startswith("package:"):
        return Path(path).expanduser()
    package, _, rel = path.removeprefix("package:").partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} holding a speech model is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / rel


def _preset_voice(
    voice_id: str,
    entry: _VoiceEntry,
    info: _PiperModelInfo,
    *,
    speaker_id: int | None = None,
) -> Voice:
    if speaker_id is None and entry.speaker is not None:
        if entry.speaker not in info.speakers:
            raise ValueError(f"voice {voice_id!r}: model has no speaker {entry.speaker!r}")
        speaker_id = info.speakers[entry.speaker]
    return Voice(
        voice_id=voice_id,
        name=entry.name,
        description=tuple(entry.description),
        model_path=info.path,
        speaker_id=speaker_id,
        sample_rate=info.sample_rate,
        language=info.language,
        gender=entry.gender,
        speed=entry.speed,
        pitch=entry.pitch,
        volume=entry.volume,
        tilt=entry.tilt,
        length_scale=info.length_scale,
        noise_scale=entry.noise_scale if entry.noise_scale is not None else info.noise_scale,
        noise_w=entry.noise_w if entry.noise_w is not None else info.noise_w,
        rigid_share=info.rigid_share,
    )
