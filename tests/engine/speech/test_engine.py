"""The engine's contract: validation per API profile, streaming, concurrency and admission."""

import asyncio

import numpy as np
import pytest

from reef.engine.speech import (
    MINIMAX_LIMITS,
    OPENAI_LIMITS,
    AudioFormat,
    SpeechEngine,
    SpeechLimits,
)
from reef.errors import InvalidRequest, Overloaded
from reef.settings import SpeechSettings
from tests.engine.speech.audio_probe import decode

LONG_TEXT = (
    "The tide came in over the flats. Gulls wheeled above the wall. "
    "A boat rounded the point. On the quay, a child waved. By noon the mist was gone."
)


@pytest.mark.parametrize(
    ("limits", "kwargs", "param"),
    [
        (OPENAI_LIMITS, {"speed": 4.5}, "speed"),
        (OPENAI_LIMITS, {"speed": 0.2}, "speed"),
        (OPENAI_LIMITS, {"fmt": "ogg"}, "response_format"),
        (OPENAI_LIMITS, {"voice_id": "nobody"}, "voice"),
        (MINIMAX_LIMITS, {"speed": 2.5}, "voice_setting.speed"),
        (MINIMAX_LIMITS, {"speed": float("nan")}, "voice_setting.speed"),
        (MINIMAX_LIMITS, {"volume": 11.0}, "voice_setting.vol"),
        (MINIMAX_LIMITS, {"volume": -1.0}, "voice_setting.vol"),
        (MINIMAX_LIMITS, {"pitch": 13.0}, "voice_setting.pitch"),
        (MINIMAX_LIMITS, {"pitch": -12.5}, "voice_setting.pitch"),
        (MINIMAX_LIMITS, {"sample_rate": 11025}, "audio_setting.sample_rate"),
        (MINIMAX_LIMITS, {"bitrate": 100000}, "audio_setting.bitrate"),
        (MINIMAX_LIMITS, {"channels": 3}, "audio_setting.channel"),
        (MINIMAX_LIMITS, {"fmt": "opus"}, "audio_setting.format"),
        (MINIMAX_LIMITS, {"voice_id": "nobody"}, "voice_setting.voice_id"),
    ],
)
async def test_out_of_range_parameters_name_the_field(
    speech_engine: SpeechEngine, limits: SpeechLimits, kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await speech_engine.synthesize("Hello.", limits=limits, **kwargs)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert param in caught.value.message
    assert caught.value.status == 400 and caught.value.minimax_code == 2013


async def test_bad_text_is_rejected(speech_engine: SpeechEngine) -> None:
    for text, reason in (("   ", "empty"), ("?!...", "no words"), ("a" * 4097, "4097")):
        with pytest.raises(InvalidRequest, match=reason) as caught:
            await speech_engine.synthesize(text, limits=OPENAI_LIMITS)
        assert caught.value.param == "input"
    with pytest.raises(InvalidRequest) as caught:
        await speech_engine.synthesize("a " * 5001, limits=MINIMAX_LIMITS)
    assert caught.value.param == "text"


async def test_stream_validates_before_the_first_chunk(speech_engine: SpeechEngine) -> None:
    with pytest.raises(InvalidRequest):
        await speech_engine.stream_synthesize("Hello.", speed=9.0)


async def test_defaults_give_mp3_in_the_default_voice(speech_engine: SpeechEngine) -> None:
    result = await speech_engine.synthesize("Hello.")
    assert result.format is AudioFormat.MP3 and result.voice_id == "reef-joe"
    assert result.characters == len("Hello.") and result.bitrate == 128000


async def test_speed_changes_duration_in_proportion(speech_engine: SpeechEngine) -> None:
    text = "I went down to the harbour this morning and watched the boats come in."
    durations = {}
    for speed in (0.5, 1.0, 2.0):
        result = await speech_engine.synthesize(text, fmt="pcm", speed=speed)
        durations[speed] = result.duration_ms
    assert durations[0.5] / durations[1.0] == pytest.approx(2.0, rel=0.2)
    assert durations[1.0] / durations[2.0] == pytest.approx(2.0, rel=0.2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"speed": 4.0, "pitch": 12.0, "volume": 10.0},
        {"speed": 0.25, "pitch": -12.0, "volume": 0.0},
    ],
)
async def test_extreme_settings_still_render(
    speech_engine: SpeechEngine, kwargs: dict[str, float]
) -> None:
    result = await speech_engine.synthesize("Edge.", fmt="wav", **kwargs)  # type: ignore[arg-type]
    samples = decode(result.audio).mono
    assert samples.size > 0 and np.isfinite(samples).all()
    assert (np.abs(samples).max() > 0.05) == (kwargs["volume"] > 0)


async def test_long_text_streams_one_chunk_per_sentence(speech_engine: SpeechEngine) -> None:
    stream = await speech_engine.stream_synthesize(
        LONG_TEXT, "audiobook_male_1", fmt="mp3", limits=MINIMAX_LIMITS
    )
    assert stream.spec.fmt is AudioFormat.MP3
    chunks = [chunk async for chunk in stream]
    assert len(chunks) == 5
    assert [c.index for c in chunks] == list(range(5))
    assert chunks[0].text == "The tide came in over the flats."
    assert all(c.audio for c in chunks)
    assert [c.final for c in chunks] == [False] * 4 + [True]
    result = chunks[-1].result
    assert result is not None and result.audio == b"".join(c.audio for c in chunks)
    decoded = decode(result.audio)
    assert decoded.duration_s == pytest.approx(result.duration_ms / 1000, abs=0.08)
    assert result.duration_ms == pytest.approx(sum(c.duration_ms for c in chunks), abs=5)
    assert result.characters == len(LONG_TEXT)


async def test_streamed_wav_ends_up_with_exact_sizes(speech_engine: SpeechEngine) -> None:
    stream = await speech_engine.stream_synthesize("One. Two. Three.", fmt="wav", sample_rate=16000)
    chunks = [chunk async for chunk in stream]
    assert chunks[0].audio[:4] == b"RIFF"
    assert int.from_bytes(chunks[0].audio[40:44], "little") == 0xFFFFFFFF  # still open
    final = chunks[-1].result
    assert final is not None
    assert int.from_bytes(final.audio[40:44], "little") == len(final.audio) - 44
    assert decode(final.audio).duration_s == pytest.approx(final.duration_ms / 1000, abs=0.01)


async def test_concurrent_requests_all_complete(speech_engine: SpeechEngine) -> None:
    texts = [f"Request number {n}." for n in range(4)]
    results = await asyncio.gather(
        *(speech_engine.synthesize(t, fmt="pcm", sample_rate=16000) for t in texts)
    )
    assert all(r.duration_ms > 500 for r in results)
    assert len({r.audio for r in results}) == 4


async def test_volume_scales_the_level(speech_engine: SpeechEngine) -> None:
    def rms(audio: bytes) -> float:
        pcm = np.frombuffer(audio, "<i2").astype(np.float64)
        return float(np.sqrt(np.mean(pcm**2)))

    quiet = await speech_engine.synthesize("Volume check.", fmt="pcm", volume=0.5)
    normal = await speech_engine.synthesize("Volume check.", fmt="pcm", volume=1.0)
    loud = await speech_engine.synthesize("Volume check.", fmt="pcm", volume=3.0)
    assert rms(quiet.audio) < rms(normal.audio) * 0.6
    assert rms(loud.audio) > rms(normal.audio) * 1.5
    assert np.abs(np.frombuffer(loud.audio, "<i2")).max() < 32767  # limited, never clipped


async def test_requests_past_max_pending_are_refused_until_a_slot_frees() -> None:
    engine = SpeechEngine(SpeechSettings(max_pending=1))
    try:
        stream = await engine.stream_synthesize("First sentence. Second sentence.")
        iterator = aiter(stream)
        first = await anext(iterator)  # the stream now holds the only slot
        assert not first.final
        with pytest.raises(Overloaded):
            await engine.synthesize("Second request.")
        await stream.aclose()  # giving up early frees the slot
        assert (await engine.synthesize("Now there is room.")).audio
    finally:
        engine.close()
