"""Every output format: the asked-for container comes back, decodes, and lasts as long as it
should; sample rates, channels and bitrates are honoured."""

import numpy as np
import pytest

from reef.engine.speech import AudioFormat, EncodingSpec, SpeechEngine
from reef.engine.speech.audio_format import AudioEncoder, to_int16
from tests.engine.speech.audio_probe import decode, decode_pcm, voiced_f0

TEXT = "Hello from Reef. This is a short test of the speech engine."


def has_magic(fmt: AudioFormat, audio: bytes) -> bool:
    if fmt is AudioFormat.MP3:
        return audio[:3] == b"ID3" or (audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0)
    if fmt is AudioFormat.AAC:
        return audio[0] == 0xFF and audio[1] & 0xF0 == 0xF0
    magic = {AudioFormat.WAV: b"RIFF", AudioFormat.FLAC: b"fLaC", AudioFormat.OPUS: b"OggS"}
    return audio[:4] == magic[fmt]


EXPECTED_CODEC = {
    AudioFormat.MP3: "mp3",
    AudioFormat.WAV: "pcm_s16le",
    AudioFormat.FLAC: "flac",
    AudioFormat.OPUS: "opus",
    AudioFormat.AAC: "aac",
}


def tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", list(AudioFormat))
async def test_each_format_is_what_comes_back_and_decodes(
    speech_engine: SpeechEngine, fmt: AudioFormat
) -> None:
    result = await speech_engine.synthesize(TEXT, "alloy", fmt=fmt, sample_rate=24000)
    assert result.format is fmt
    assert result.duration_ms > 1500
    if fmt is AudioFormat.PCM:
        samples = decode_pcm(result.audio, 1)
        assert samples.shape[1] / 24000 == pytest.approx(result.duration_ms / 1000, abs=0.002)
        assert result.bitrate == 24000 * 16
        return
    assert has_magic(fmt, result.audio), result.audio[:8]
    decoded = decode(result.audio)
    assert decoded.codec.startswith(EXPECTED_CODEC[fmt])  # ffmpeg decodes mp3 as "mp3float"
    # Lossy codecs pad to whole frames, and ADTS cannot mark AAC's 1024-sample priming.
    slack = 0.1 if fmt is AudioFormat.AAC else 0.06
    assert decoded.duration_s == pytest.approx(result.duration_ms / 1000, abs=slack)
    assert decoded.sample_rate == (48000 if fmt is AudioFormat.OPUS else 24000)
    assert np.abs(decoded.mono).max() > 0.1  # there is speech in it, not silence


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 32000, 44100])
async def test_sample_rate_conversion(speech_engine: SpeechEngine, rate: int) -> None:
    result = await speech_engine.synthesize("Testing the rate.", fmt="wav", sample_rate=rate)
    decoded = decode(result.audio)
    assert decoded.sample_rate == rate == result.sample_rate
    assert decoded.duration_s == pytest.approx(result.duration_ms / 1000, abs=0.01)
    # The voice keeps its pitch whatever the rate.
    assert 60 < np.median(voiced_f0(decoded.mono, rate)) < 250


async def test_stereo_copies_the_voice_to_both_channels(speech_engine: SpeechEngine) -> None:
    result = await speech_engine.synthesize("Left and right.", fmt="pcm", channels=2)
    samples = decode_pcm(result.audio, 2)
    assert result.channels == 2
    np.testing.assert_array_equal(samples[0], samples[1])
    flac = decode((await speech_engine.synthesize("Left and right.", fmt="flac", channels=2)).audio)
    assert flac.samples.shape[0] == 2


async def test_mp3_bitrate_is_applied(speech_engine: SpeechEngine) -> None:
    low = await speech_engine.synthesize(TEXT, fmt="mp3", sample_rate=32000, bitrate=32000)
    high = await speech_engine.synthesize(TEXT, fmt="mp3", sample_rate=32000, bitrate=256000)
    assert (low.bitrate, high.bitrate) == (32000, 256000)
    assert len(high.audio) > 4 * len(low.audio)
    for result in (low, high):
        measured = len(result.audio) * 8 / (result.duration_ms / 1000)
        assert measured == pytest.approx(result.bitrate, rel=0.15)


def test_negotiation_reports_what_the_codec_really_uses() -> None:
    assert EncodingSpec.negotiate(AudioFormat.OPUS, 22050, 1, 64000).sample_rate == 24000
    assert EncodingSpec.negotiate(AudioFormat.OPUS, 44100, 1, 64000).sample_rate == 48000
    assert EncodingSpec.negotiate(AudioFormat.MP3, 16000, 1, 256000).bitrate == 160000
    assert EncodingSpec.negotiate(AudioFormat.MP3, 44100, 1, 256000).bitrate == 256000
    assert EncodingSpec.negotiate(AudioFormat.FLAC, 44100, 2, 128000).bitrate is None


@pytest.mark.parametrize("fmt", list(AudioFormat))
def test_streaming_encoder_output_concatenates_into_one_valid_file(fmt: AudioFormat) -> None:
    spec = EncodingSpec.negotiate(fmt, 24000 if fmt is not AudioFormat.OPUS else 48000, 1, 64000)
    encoder = AudioEncoder(spec, streaming=True)
    signal = tone(spec.sample_rate, 1.5)
    parts = [encoder.write(to_int16(chunk, 1)) for chunk in np.array_split(signal, 3)]
    parts.append(encoder.finish())
    assert sum(1 for p in parts[:-1] if p) >= 2  # bytes flow before the end
    audio = b"".join(parts)
    if fmt is AudioFormat.PCM:
        assert decode_pcm(audio, 1).shape[1] == signal.size
        return
    assert has_magic(fmt, audio)
    assert decode(audio).duration_s == pytest.approx(1.5, abs=0.08)


def test_complete_wav_header_has_exact_sizes() -> None:
    spec = EncodingSpec.negotiate(AudioFormat.WAV, 16000, 2, 0)
    encoder = AudioEncoder(spec, streaming=False)
    assert encoder.write(to_int16(tone(16000, 0.5), 2)) == b""
    audio = encoder.finish()
    assert int.from_bytes(audio[4:8], "little") == len(audio) - 8
    assert int.from_bytes(audio[40:44], "little") == 8000 * 2 * 2
    assert decode(audio).samples.shape == (2, 8000)
