"""Piper models loaded on first use and shared by all requests.

Piper serializes its espeak-ng phonemizer internally and an ONNX Runtime session may run
concurrently, so one loaded model serves every worker thread; only loading is locked (per
model, so a slow load does not hold up voices that are ready)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig

from reef.engine.speech.voices import Voice

FloatArray = npt.NDArray[np.float32]


class PiperRuntime:
    def __init__(self, onnx_threads: int = 0) -> None:
        self._onnx_threads = onnx_threads
        self._models: dict[Path, PiperVoice] = {}
        self._load_locks: dict[Path, threading.Lock] = {}
        self._registry_lock = threading.Lock()

    def model(self, path: Path) -> PiperVoice:
        """The loaded model at `path`, loading it once (blocking; call from a worker thread)."""
        loaded = self._models.get(path)
        if loaded is not None:
            return loaded
        with self._registry_lock:
            lock = self._load_locks.setdefault(path, threading.Lock())
        with lock:
            loaded = self._models.get(path)
            if loaded is None:
                loaded = self._load(path)
                self._models[path] = loaded
        return loaded

    def is_loaded(self, path: Path) -> bool:
        return path in self._models

    def render(
        self,
        voice: Voice,
        text: str,
        *,
        length_scale: float,
        noise_scale: float,
        noise_w: float,
    ) -> FloatArray:
        """Raw (unnormalized) mono float audio for `text` at the model's sample rate."""
        model = self.model(voice.model_path)
        config = SynthesisConfig(
            speaker_id=voice.speaker_id,
            length_scale=length_scale,
            noise_scale=noise_scale,
            noise_w_scale=noise_w,
            normalize_audio=False,
        )
        chunks = [chunk.audio_float_array for chunk in model.synthesize(text, config)]
        if not chunks:
            return np.zeros(0, np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)

    def _load(self, path: Path) -> PiperVoice:
        options = onnxruntime.SessionOptions()
        if self._onnx_threads > 0:
            options.intra_op_num_threads = self._onnx_threads
            options.inter_op_num_threads = 1
        config = PiperConfig.from_dict(_read_json(Path(f"{path}.json")))
        session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return PiperVoice(session=session, config=config)


def _read_json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data
