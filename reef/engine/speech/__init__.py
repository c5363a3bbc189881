"""Text-to-speech: Piper voices shaped by prosody presets and emotion, in every API audio format.

Routes use `SpeechEngine` (synthesize / stream_synthesize), pass `OPENAI_LIMITS` or
`MINIMAX_LIMITS` for their own ranges and field names, and build MiniMax bodies with
`extra_info` and `get_voice_listing`."""

from reef.engine.speech.audio_format import AudioFormat, EncodingSpec
from reef.engine.speech.engine import SpeechChunk, SpeechEngine, SpeechStream, SynthesisResult
from reef.engine.speech.limits import ENGINE_LIMITS, MINIMAX_LIMITS, OPENAI_LIMITS, SpeechLimits
from reef.engine.speech.minimax import extra_info, get_voice_listing, word_count
from reef.engine.speech.prosody import Affect, Emotion
from reef.engine.speech.request import SpeechRequest
from reef.engine.speech.voices import SpeechModel, Voice, VoiceRegistry

__all__ = [
    "ENGINE_LIMITS",
    "MINIMAX_LIMITS",
    "OPENAI_LIMITS",
    "Affect",
    "AudioFormat",
    "Emotion",
    "EncodingSpec",
    "SpeechChunk",
    "SpeechEngine",
    "SpeechLimits",
    "SpeechModel",
    "SpeechRequest",
    "SpeechStream",
    "SynthesisResult",
    "Voice",
    "VoiceRegistry",
    "extra_info",
    "get_voice_listing",
    "word_count",
]
