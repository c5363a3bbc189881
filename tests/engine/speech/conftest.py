"""One real speech engine (bundled Piper voice) shared by the speech tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reef.engine.speech import SpeechEngine
from reef.settings import SpeechSettings


@pytest.fixture(scope="session")
def speech_engine() -> Iterator[SpeechEngine]:
    engine = SpeechEngine(SpeechSettings())
    try:
        yield engine
    finally:
        engine.close()
