"""MiniMax answer pieces: t2a_v2 `extra_info` and the get_voice listing."""

import pytest

from reef.engine.speech import (
    MINIMAX_LIMITS,
    SpeechEngine,
    extra_info,
    get_voice_listing,
    word_count,
)
from reef.errors import InvalidRequest
from tests.engine.speech.audio_probe import decode


async def test_extra_info_describes_the_audio(speech_engine: SpeechEngine) -> None:
    text = "Hello there, friend. It's a fine day."
    result = await speech_engine.synthesize(
        text, "female-shaonv", fmt="flac", sample_rate=32000, channels=2, limits=MINIMAX_LIMITS
    )
    info = extra_info(result, text)
    assert set(info) == {
        "audio_length",
        "audio_sample_rate",
        "audio_size",
        "bitrate",
        "word_count",
        "usage_characters",
        "audio_format",
        "audio_channel",
    }
    decoded = decode(result.audio)
    assert info["audio_length"] == pytest.approx(decoded.duration_s * 1000, abs=10)
    assert info["audio_sample_rate"] == decoded.sample_rate == 32000
    assert info["audio_size"] == len(result.audio)
    assert info["audio_format"] == "flac" and info["audio_channel"] == 2
    assert info["word_count"] == 7 and info["usage_characters"] == len(text)
    assert info["bitrate"] == pytest.approx(len(result.audio) * 8 / decoded.duration_s, rel=0.02)


def test_word_count_counts_words_and_cjk_characters() -> None:
    assert word_count("Don't stop, 42 times!") == 4
    assert word_count("你好世界 hello") == 5


def test_get_voice_listing_shape(speech_engine: SpeechEngine) -> None:
    listing = get_voice_listing(speech_engine.registry)
    assert set(listing) == {"system_voice", "voice_cloning", "voice_generation"}
    assert listing["voice_cloning"] == [] and listing["voice_generation"] == []
    ids = [v["voice_id"] for v in listing["system_voice"]]
    assert "reef-joe" in ids and len(ids) == len(speech_engine.list_voices())
    for voice in listing["system_voice"]:
        assert set(voice) == {"voice_id", "voice_name", "description"}
        assert isinstance(voice["description"], list) and voice["description"]
    assert set(get_voice_listing(speech_engine.registry, "system")) == {"system_voice"}
    assert get_voice_listing(speech_engine.registry, "voice_cloning") == {"voice_cloning": []}


def test_get_voice_rejects_unknown_voice_type(speech_engine: SpeechEngine) -> None:
    with pytest.raises(InvalidRequest) as caught:
        get_voice_listing(speech_engine.registry, "celebrity")
    assert caught.value.param == "voice_type" and "celebrity" in caught.value.message
