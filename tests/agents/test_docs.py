"""The examples in docs/agents.md run as written against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ReefServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "agents.md"


def example(section: str) -> str:
    body = DOC.read_text().split(f"## {section}", 1)[1]
    found = re.search(r"```python\n(.*?)```", body, re.S)
    assert found is not None, f"no python example under '{section}'"
    return found.group(1)


def run(script: str, server: ReefServer, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script.replace("http://127.0.0.1:8000", server.base_url)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_agents_sdk_example_calls_its_tool(reef_server: ReefServer, key: str) -> None:
    env = {
        "OPENAI_BASE_URL": f"{reef_server.base_url}/v1",
        "OPENAI_API_KEY": key,
        "OPENAI_AGENTS_DISABLE_TRACING": "1",
    }
    assert run(example("OpenAI Responses"), reef_server, env).strip() == "sunny in Lisbon"


def test_the_anthropic_example_answers(reef_server: ReefServer, key: str) -> None:
    assert run(example("Anthropic Messages"), reef_server, {"REEF_API_KEY": key}).strip()
