"""Speech over real HTTP and real Piper voices: OpenAI's `/v1/audio/speech` through the official
SDK, MiniMax's `/v1/t2a_v2` and `/v1/get_voice`, audio links, and per-character metering."""

from __future__ import annotations

import io
import json
import struct
from typing import Any, Literal

import av
import httpx
import numpy as np
import openai
import pytest

from tests.support.catalogue import SPEECH_MODEL, SPEECH_PER_1K_CHARS
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store

SHORT = "Hello there."
TWO_SENTENCES = "The tide is coming in. Bring the boat up the beach."
# Many short sentences: their random length variations average out.
COUNTING = " ".join(
    f"Number {n}." for n in ("one", "two", "three", "four", "five", "six", "seven", "eight")
)
T2A = "/v1/t2a_v2"
SUCCESS = {"status_code": 0, "status_msg": "success"}


def decoded(audio: bytes) -> tuple[int, int, float]:
    """(sample rate, channels, seconds) of an encoded file, decoded for real."""
    with av.open(io.BytesIO(audio), mode="r") as container:
        stream = container.streams.audio[0]
        samples = sum(int(frame.samples) for frame in container.decode(stream))
        return stream.rate, stream.channels, samples / stream.rate


def wav_header(audio: bytes) -> tuple[int, int, int]:
    """(sample rate, channels, bits per sample) from a canonical 44-byte WAV header."""
    assert audio[:4] == b"RIFF" and audio[8:16] == b"WAVEfmt "
    channels, rate = struct.unpack("<HI", audio[22:28])
    (bits,) = struct.unpack("<H", audio[34:36])
    return rate, channels, bits


def post(server: ReefServer, key: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}{path}",
        params={"GroupId": "1234567890"},
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )


def t2a(text: str = SHORT, **fields: Any) -> dict[str, Any]:
    return {
        "model": "speech-02-turbo",
        "text": text,
        "voice_setting": {"voice_id": "male-qn-qingse", **fields.pop("voice", {})},
        "audio_setting": fields.pop("audio", {}),
        **fields,
    }


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


# -- OpenAI ------------------------------------------------------------------------------------

MAGIC = {
    "mp3": lambda a: a[:3] == b"ID3" or (a[0] == 0xFF and a[1] & 0xE0 == 0xE0),
    "opus": lambda a: a[:4] == b"OggS" and b"OpusHead" in a[:64],
    "aac": lambda a: a[0] == 0xFF and a[1] & 0xF6 == 0xF0,
    "flac": lambda a: a[:4] == b"fLaC",
    "wav": lambda a: a[:4] == b"RIFF" and a[8:12] == b"WAVE",
}


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
def test_sdk_speech_in_each_container_format(
    client: openai.OpenAI, fmt: Literal["mp3", "opus", "aac", "flac", "wav"]
) -> None:
    response = client.audio.speech.create(
        model="tts-1", voice="alloy", input=SHORT, response_format=fmt
    )
    audio = response.content
    assert MAGIC[fmt](audio), audio[:16]
    assert response.response.headers["content-type"].startswith("audio/")
    _, channels, seconds = decoded(audio)
    assert channels == 1
    assert 0.3 < seconds < 5


def test_pcm_is_raw_24khz_s16le(client: openai.OpenAI) -> None:
    pcm = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="nova", input=COUNTING, response_format="pcm"
    )
    wav = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="nova", input=COUNTING, response_format="wav"
    )
    assert pcm.response.headers["content-type"] == "audio/pcm"
    samples = np.frombuffer(pcm.content, dtype="<i2")
    assert np.abs(samples).max() > 1000  # speech, not silence
    wav_rate, _, _ = wav_header(wav.content)
    wav_seconds = (len(wav.content) - 44) / 2 / wav_rate
    # The same words last about as long (each rendering varies a little): the raw samples
    # span that time at 24 kHz, and would be 9% off at the voice's own 22.05 kHz.
    assert samples.size / 24000 == pytest.approx(wav_seconds, rel=0.04)


def test_streaming_response_arrives_in_chunks(client: openai.OpenAI) -> None:
    with client.audio.speech.with_streaming_response.create(
        model="tts-1-hd", voice="fable", input=TWO_SENTENCES, instructions="Speak cheerfully."
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.headers.get("transfer-encoding") == "chunked"
        audio = b"".join(response.iter_bytes())
    _, _, seconds = decoded(audio)
    assert seconds > 1.5


def test_the_voice_object_form_is_accepted(client: openai.OpenAI) -> None:
    audio = client.audio.speech.create(
        model="tts-1", voice={"id": "reef-joe-soft"}, input=SHORT, response_format="flac"
    ).content
    assert MAGIC["flac"](audio)


def error_of(exc: openai.APIStatusError) -> dict[str, Any]:
    error: dict[str, Any] = exc.response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_unknown_voice_is_400_naming_voice(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="no-such-voice", input=SHORT)
    error = error_of(caught.value)
    assert error["param"] == "voice"
    assert "no-such-voice" in error["message"]


@pytest.mark.parametrize("speed", [0.1, 4.5])
def test_speed_out_of_range_is_400_naming_speed(client: openai.OpenAI, speed: float) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="alloy", input=SHORT, speed=speed)
    assert error_of(caught.value)["param"] == "speed"


def test_unknown_format_and_model_name_their_fields(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad_format:
        client.audio.speech.create(
            model="tts-1",
            voice="alloy",
            input=SHORT,
            response_format="ogg",  # type: ignore[arg-type]
        )
    assert error_of(bad_format.value)["param"] == "response_format"
    with pytest.raises(openai.NotFoundError) as bad_model:
        client.audio.speech.create(model="tts-9", voice="alloy", input=SHORT)
    assert error_of(bad_model.value)["param"] == "model"
    with pytest.raises(openai.BadRequestError) as sse:
        client.audio.speech.create(model="tts-1", voice="alloy", input=SHORT, stream_format="sse")
    assert error_of(sse.value)["param"] == "stream_format"


def test_bad_key_is_401(reef_server: ReefServer) -> None:
    with (
        sdk_client(reef_server, "sk-reef-wrong-wrong-wrong") as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        sdk.audio.speech.create(model="tts-1", voice="alloy", input=SHORT)
    assert error_of(caught.value)["type"] == "authentication_error"


# -- MiniMax -----------------------------------------------------------------------------------


def test_t2a_hex_audio_is_the_requested_format_and_rate(reef_server: ReefServer, key: str) -> None:
    body = t2a(TWO_SENTENCES, audio={"format": "wav", "sample_rate": 16000, "channel": 2})
    answer = post(reef_server, key, T2A, body).json()
    assert answer["base_resp"] == SUCCESS
    assert answer["data"]["status"] == 2
    assert answer["trace_id"]
    audio = bytes.fromhex(answer["data"]["audio"])
    assert wav_header(audio) == (16000, 2, 16)
    info = answer["extra_info"]
    assert info["audio_format"] == "wav"
    assert info["audio_sample_rate"] == 16000
    assert info["audio_channel"] == 2
    assert info["audio_size"] == len(audio)
    assert info["usage_characters"] == len(TWO_SENTENCES)
    assert info["word_count"] == len(TWO_SENTENCES.split())
    data_seconds = (len(audio) - 44) / (16000 * 2 * 2)
    assert info["audio_length"] == pytest.approx(data_seconds * 1000, abs=2)
    assert info["bitrate"] == 16000 * 2 * 16


def test_t2a_mp3_at_its_default_rate(reef_server: ReefServer, key: str) -> None:
    answer = post(reef_server, key, T2A, t2a(voice={"emotion": "happy"})).json()
    assert answer["base_resp"] == SUCCESS
    rate, channels, seconds = decoded(bytes.fromhex(answer["data"]["audio"]))
    assert (rate, channels) == (32000, 1)  # MiniMax's default sample_rate
    assert answer["extra_info"]["audio_format"] == "mp3"
    assert answer["extra_info"]["audio_length"] == pytest.approx(seconds * 1000, rel=0.1)


def test_t2a_stream_sends_pieces_then_the_whole(reef_server: ReefServer, key: str) -> None:
    response = post(reef_server, key, T2A, t2a(TWO_SENTENCES, stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert [e["data"]["status"] for e in events] == [1] * (len(events) - 1) + [2]
    assert len(events) >= 3  # two sentences, then the complete audio
    assert all(e["base_resp"]["status_code"] == 0 and e["trace_id"] for e in events)
    assert all("extra_info" not in e for e in events[:-1])
    pieces = b"".join(bytes.fromhex(e["data"]["audio"]) for e in events[:-1])
    whole = bytes.fromhex(events[-1]["data"]["audio"])
    assert pieces == whole
    assert events[-1]["extra_info"]["audio_size"] == len(whole)
    assert events[-1]["extra_info"]["usage_characters"] == len(TWO_SENTENCES)
    assert decoded(whole)[2] > 1.5


@pytest.mark.parametrize(
    ("model", "voice"),
    [
        ("speech-2.8-hd", "female-shaonv"),
        ("speech-02-turbo", "audiobook_female_1"),
        ("speech-02-hd", "male-qn-qingse"),
    ],
)
def test_minimax_model_and_voice_ids_map_to_local_ones(
    reef_server: ReefServer, key: str, model: str, voice: str
) -> None:
    body = {"model": model, "text": SHORT, "voice_setting": {"voice_id": voice}}
    answer = post(reef_server, key, T2A, body).json()
    assert answer["base_resp"] == SUCCESS
    assert decoded(bytes.fromhex(answer["data"]["audio"]))[2] > 0.3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (t2a(voice={"speed": 3.0}), "voice_setting.speed"),
        (t2a(voice={"pitch": 20}), "voice_setting.pitch"),
        (t2a(voice={"emotion": "ecstatic"}), "voice_setting.emotion"),
        (t2a(voice={"voice_id": "nobody"}), "voice_setting.voice_id"),
        (t2a(audio={"format": "ogg"}), "audio_setting.format"),
        (t2a(audio={"sample_rate": 12345}), "audio_setting.sample_rate"),
        (t2a(""), "text"),
        (t2a(stream=True, output_format="url"), "output_format"),
        ({"model": "speech-02-turbo"}, "text"),
    ],
)
def test_invalid_params_are_2013_with_http_200(
    reef_server: ReefServer, key: str, body: dict[str, Any], field: str
) -> None:
    response = post(reef_server, key, T2A, body)
    assert response.status_code == 200
    status = response.json()["base_resp"]
    assert status["status_code"] == 2013
    assert field in status["status_msg"]


def test_unknown_model_is_2013(reef_server: ReefServer, key: str) -> None:
    answer = post(reef_server, key, T2A, t2a(model="speech-99")).json()
    assert answer["base_resp"]["status_code"] == 2013
    assert "speech-99" in answer["base_resp"]["status_msg"]


def test_bad_key_is_2049_with_http_200(reef_server: ReefServer) -> None:
    for path, body in ((T2A, t2a()), ("/v1/get_voice", {"voice_type": "all"})):
        response = post(reef_server, "sk-reef-wrong-wrong-wrong", path, body)
        assert response.status_code == 200
        assert response.json()["base_resp"]["status_code"] == 2049


def test_url_output_is_for_its_own_organisation_only(
    reef_server: ReefServer, store: Store, key: str
) -> None:
    body = t2a(output_format="url", audio={"format": "flac", "sample_rate": 24000})
    answer = post(reef_server, key, T2A, body).json()
    assert answer["base_resp"] == SUCCESS
    link = httpx.URL(answer["data"]["audio"])
    assert link.params["signature"] and link.params["expires"]

    signed = httpx.get(link, timeout=30)  # players and MCP tools fetch links without a key
    assert signed.status_code == 200
    assert signed.headers["content-type"] == "audio/flac"
    assert decoded(signed.content)[0] == 24000
    assert len(signed.content) == answer["extra_info"]["audio_size"]

    bare = link.copy_with(query=None)
    same_org = httpx.get(bare, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert same_org.content == signed.content

    other_key = store.new_key()
    other_org = httpx.get(bare, headers={"Authorization": f"Bearer {other_key}"}, timeout=30)
    assert other_org.status_code == 404
    assert httpx.get(bare, timeout=30).status_code == 401

    forged = link.copy_merge_params({"signature": "0" * 64})
    assert httpx.get(forged, timeout=30).status_code == 403
    org_id = link.path.split("/")[-2]
    moved = link.copy_with(path=link.path.replace(f"/{org_id}/", f"/{int(org_id) + 1}/"))
    assert httpx.get(moved, timeout=30).status_code == 403


# -- voices ------------------------------------------------------------------------------------


def test_get_voice_lists_system_voices(reef_server: ReefServer, key: str) -> None:
    everything = post(reef_server, key, "/v1/get_voice", {"voice_type": "all"}).json()
    assert everything["base_resp"] == SUCCESS
    assert everything["voice_cloning"] == []
    assert everything["voice_generation"] == []
    system = everything["system_voice"]
    assert {"reef-joe", "reef-narrator"} <= {v["voice_id"] for v in system}
    assert all(v["voice_name"] and isinstance(v["description"], list) for v in system)

    only_system = post(reef_server, key, "/v1/get_voice", {"voice_type": "system"}).json()
    assert set(only_system) == {"system_voice", "base_resp"}
    wrong = post(reef_server, key, "/v1/get_voice", {"voice_type": "cloned"}).json()
    assert wrong["base_resp"]["status_code"] == 2013


def test_voice_listing_shows_aliases_and_models(reef_server: ReefServer, key: str) -> None:
    listing = httpx.get(
        f"{reef_server.base_url}/v1/audio/voices",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    voices = {v["id"]: v for v in listing["data"]}
    assert listing["default_voice"] in voices
    assert {"alloy", "male-qn-qingse"} <= set(voices["reef-joe"]["aliases"])
    assert voices["reef-joe"]["description"]
    models = {m["id"]: m for m in listing["models"]}
    assert {"tts-1", "speech-2.8-hd"} <= set(models[SPEECH_MODEL]["aliases"])


# -- metering ----------------------------------------------------------------------------------


def test_speech_is_metered_per_character(reef_server: ReefServer, store: Store, key: str) -> None:
    openai_call = post(
        reef_server,
        key,
        "/v1/audio/speech",
        {"model": "tts-1", "voice": "alloy", "input": TWO_SENTENCES},
    )
    minimax_call = post(reef_server, key, T2A, t2a(SHORT))
    minimax_stream = post(reef_server, key, T2A, t2a(TWO_SENTENCES, stream=True))
    calls = {openai_call: TWO_SENTENCES, minimax_call: SHORT, minimax_stream: TWO_SENTENCES}
    ids = {r.headers["x-request-id"]: text for r, text in calls.items()}
    rows = store.wait_for_rows(list(ids))
    for request_id, text in ids.items():
        row = rows[request_id]
        assert row.model == SPEECH_MODEL
        assert row.status == 200
        assert row.characters == len(text)
        assert row.cost_nano_usd == round(len(text) * SPEECH_PER_1K_CHARS / 1000 * 1e9)
        assert row.prompt_tokens == row.completion_tokens == 0
        assert not row.aborted
    assert rows[openai_call.headers["x-request-id"]].endpoint == "audio.speech"
    assert rows[minimax_call.headers["x-request-id"]].endpoint == "t2a_v2"


def test_speech_models_are_listed_with_the_others(client: openai.OpenAI) -> None:
    assert SPEECH_MODEL in {m.id for m in client.models.list()}
