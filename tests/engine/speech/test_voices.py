"""The voice registry: local voices, the OpenAI/MiniMax alias table, disk voices, errors."""

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from reef.engine.speech import SpeechEngine, VoiceRegistry
from reef.engine.speech.voices import DEFAULT_VOICE_TABLE
from reef.errors import InvalidRequest, NotFound
from reef.settings import SpeechSettings
from tests.engine.speech.audio_probe import decode

MINIMAX_VOICES = [
    "female-shaonv",
    "male-qn-qingse",
    "audiobook_female_1",
    "audiobook_male_1",
    "female-yujie",
    "male-qn-jingying",
    "presenter_male",
    "presenter_female",
]
OPENAI_VOICES = [
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
]
SPEECH_MODELS = [
    "speech-2.8-hd",
    "speech-2.8-turbo",
    "speech-02-turbo",
    "speech-02-hd",
    "tts-1",
    "tts-1-hd",
    "gpt-4o-mini-tts",
]


@pytest.fixture(scope="module")
def registry() -> VoiceRegistry:
    return VoiceRegistry.load()


def test_several_distinct_voices_come_from_the_one_bundled_model(registry: VoiceRegistry) -> None:
    voices = registry.list_voices()
    ids = {v.voice_id for v in voices}
    assert {"reef-joe", "reef-joe-deep", "reef-joe-bright", "reef-narrator"} <= ids
    assert len({v.model_path for v in voices}) == 1
    presets = {(v.speed, v.pitch, v.volume, v.tilt, v.noise_scale, v.noise_w) for v in voices}
    assert len(presets) == len(voices)  # every voice sounds different
    for voice in voices:
        assert voice.name and voice.description and voice.sample_rate == 22050
        assert voice.model_path.is_file()


@pytest.mark.parametrize("name", MINIMAX_VOICES + OPENAI_VOICES)
def test_platform_voice_names_resolve_to_local_voices(registry: VoiceRegistry, name: str) -> None:
    voice = registry.resolve(name)
    assert voice.voice_id in {v.voice_id for v in registry.list_voices()}
    assert registry.aliases[name] == voice.voice_id


def test_alias_table_routes_female_voices_to_higher_presets(registry: VoiceRegistry) -> None:
    for name in ("female-shaonv", "female-yujie", "presenter_female", "nova", "shimmer"):
        assert registry.resolve(name).pitch > registry.resolve("male-qn-qingse").pitch


def test_lookup_falls_back_to_any_case(registry: VoiceRegistry) -> None:
    assert registry.resolve("Alloy").voice_id == registry.resolve("alloy").voice_id
    assert registry.resolve("REEF-JOE-DEEP").voice_id == "reef-joe-deep"


def test_unknown_voice_names_the_voice_and_points_to_the_list(registry: VoiceRegistry) -> None:
    with pytest.raises(InvalidRequest) as caught:
        registry.resolve("no-such-voice", param="voice_setting.voice_id")
    assert "no-such-voice" in caught.value.message
    assert "get_voice" in caught.value.message
    assert caught.value.param == "voice_setting.voice_id"
    assert caught.value.status == 400


@pytest.mark.parametrize("name", SPEECH_MODELS)
def test_platform_model_names_map_to_the_local_engine(registry: VoiceRegistry, name: str) -> None:
    model = registry.resolve_model(name)
    assert model.engine == "piper"
    assert name in model.aliases


def test_unknown_speech_model_is_not_found(registry: VoiceRegistry) -> None:
    with pytest.raises(NotFound) as caught:
        registry.resolve_model("speech-99-ultra")
    assert "speech-99-ultra" in caught.value.message and caught.value.param == "model"


def test_the_documented_table_is_the_one_loaded() -> None:
    table = tomllib.loads(DEFAULT_VOICE_TABLE.read_text())
    registry = VoiceRegistry.load()
    assert registry.aliases == table["voice_aliases"]
    assert {v.voice_id for v in registry.list_voices()} == set(table["voices"])


def bundled_model(registry: VoiceRegistry) -> Path:
    return registry.resolve("reef-joe").model_path


async def test_piper_voices_in_voices_dir_are_registered_and_speak(
    tmp_path: Path, registry: VoiceRegistry
) -> None:
    source = bundled_model(registry)
    (tmp_path / "en_US-extra-medium.onnx").symlink_to(source)
    shutil.copy(f"{source}.json", tmp_path / "en_US-extra-medium.onnx.json")
    (tmp_path / "orphan.onnx").write_bytes(b"no config beside me")
    engine = SpeechEngine(SpeechSettings(voices_dir=tmp_path))
    try:
        ids = {v.voice_id for v in engine.list_voices()}
        assert "en_US-extra-medium" in ids and "orphan" not in ids
        assert "reef-joe" in ids  # the table's voices stay
        result = await engine.synthesize(
            "A voice from the folder.", "en_US-extra-medium", fmt="wav"
        )
        assert decode(result.audio).duration_s > 0.5
        assert result.voice_id == "en_US-extra-medium"
    finally:
        engine.close()


def test_multi_speaker_models_give_one_voice_per_speaker(
    tmp_path: Path, registry: VoiceRegistry
) -> None:
    source = bundled_model(registry)
    config = json.loads(Path(f"{source}.json").read_text())
    config["num_speakers"] = 2
    config["speaker_id_map"] = {"amy": 0, "ben": 1}
    (tmp_path / "duo.onnx").symlink_to(source)
    (tmp_path / "duo.onnx.json").write_text(json.dumps(config))
    voices = {v.voice_id: v for v in VoiceRegistry.load(voices_dir=tmp_path).list_voices()}
    assert voices["duo:amy"].speaker_id == 0 and voices["duo:ben"].speaker_id == 1


def test_a_table_with_a_dangling_alias_is_rejected(tmp_path: Path) -> None:
    table = tmp_path / "voices.toml"
    text = DEFAULT_VOICE_TABLE.read_text().replace('alloy = "reef-joe"', 'alloy = "ghost"')
    table.write_text(text)
    with pytest.raises(ValueError, match="ghost"):
        VoiceRegistry.load(table)
