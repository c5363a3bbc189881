"""One typed settings object for the whole platform.

Values come from, in order of precedence: keyword arguments, `REEF_*` environment variables
(nested with `__`, e.g. `REEF_ENGINE__N_SEQ_MAX=8`), the TOML file named by `REEF_CONFIG`
(default `./reef.toml` when it exists), then the defaults below.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class EngineSettings(BaseModel):
    """Knobs of the embedded llama.cpp engine."""

    n_ctx: int = Field(
        default=32768, description="KV cells shared by all sequences (unified cache)"
    )
    n_seq_max: int = Field(default=16, description="sequences decoded together (batch slots)")
    n_batch: int = Field(default=1024, description="most tokens in one decode step")
    prefill_chunk: int = Field(
        default=256, description="most prompt tokens one sequence adds per step"
    )
    n_threads: int = Field(default=0, description="CPU threads; 0 = all cores but one (min 1)")
    max_queue: int = Field(default=64, description="requests allowed to wait; more get 429/503")
    prefix_cache_tokens: int = Field(
        default=16384, description="KV tokens idle sequences may keep for prefix reuse (LRU beyond)"
    )
    speculative: str = Field(
        default="off",
        description="draft tokens checked in one decode: off, prompt_lookup (n-grams from the "
        "prompt and answer) or draft_model (speculative_draft_model drafts); off by default "
        "because on CPU each drafted token costs most of a decode (docs/benchmarks/engine.md)",
    )
    speculative_max_draft: int = Field(default=8, ge=1, description="most tokens drafted per step")
    speculative_ngram_min: int = Field(
        default=2, ge=1, description="shortest n-gram prompt lookup matches"
    )
    speculative_ngram_max: int = Field(
        default=4, ge=1, description="longest n-gram prompt lookup matches"
    )
    speculative_max_streams: int = Field(
        default=4,
        ge=0,
        description="draft only while at most this many sequences decode",
    )
    speculative_draft_model: str = Field(
        default="",
        description="GGUF (path or package:pkg/file) drafting for draft_model; empty: the model "
        "itself (for testing)",
    )
    prefix_stash: bool = Field(
        default=True,
        description="park idle cached prefixes in host memory so they do not slow running work",
    )
    default_max_tokens: int = Field(
        default=512, description="completion cap when a request sets none"
    )
    default_temperature: float = Field(
        default=0.8, description="temperature when a request sets none (llama.cpp's default)"
    )
    default_top_p: float = Field(
        default=0.95, description="nucleus sampling when a request sets none"
    )
    default_top_k: int = Field(default=40, description="top-k when a request sets none; 0 disables")
    default_min_p: float = Field(
        default=0.05, description="min-p when a request sets none; 0 disables"
    )
    penalty_last_n: int = Field(
        default=64, description="tokens frequency/presence penalties look back"
    )


class MemorySettings(BaseModel):
    """Companion memory: fact extraction, reconciliation and recall into the prompt."""

    max_fact_chars: int = Field(default=200, ge=20, description="longest fact text kept")
    max_facts_per_exchange: int = Field(
        default=8, ge=1, description="most candidate facts taken from one exchange"
    )
    extraction_context_messages: int = Field(
        default=4, ge=0, description="earlier messages the LLM extractor sees for context"
    )
    require_grounding: bool = Field(
        default=True,
        description="drop LLM-extracted facts whose words do not appear in the user's message",
    )
    duplicate_similarity: float = Field(
        default=0.9, description="cosine at which an unkeyed fact repeats a stored memory"
    )
    related_similarity: float = Field(
        default=0.6, description="cosine at which a stored memory is shown to the LLM arbiter"
    )
    semantic_floor: float = Field(
        default=0.2, description="cosine below which a memory gets no semantic relevance"
    )
    semantic_full: float = Field(
        default=0.6, description="cosine at which a memory gets full semantic relevance"
    )
    keyword_saturation: float = Field(
        default=2.0, gt=0, description="BM25 score at which keyword relevance reaches one half"
    )
    entity_evidence: float = Field(
        default=0.6, ge=0, le=1, description="relevance of a memory whose subject the query names"
    )
    relevance_threshold: float = Field(
        default=0.35, ge=0, le=1, description="relevance a memory needs to enter the prompt"
    )
    top_k: int = Field(default=8, ge=0, description="most recalled memories per turn")
    token_budget: int = Field(default=200, ge=0, description="tokens recalled memories may use")
    pinned_subjects: list[str] = Field(
        default=["user.name", "user.preferred_name"],
        description="subjects always recalled (core facts), within the token budget",
    )
    share_profile: bool = Field(
        default=False,
        description="keep facts about the user in a per-user profile every character sees",
    )
    max_history: int = Field(default=20, ge=0, description="old values kept per memory")
    summary_max_chars: int = Field(default=480, ge=80, description="longest relationship summary")
    llm_summary_every: int = Field(
        default=10, ge=0, description="exchanges between LLM summary rewrites; 0 = rules only"
    )


class EmotionSettings(BaseModel):
    """A companion's affect: default temperament and how messages move it."""

    baseline_valence: float = Field(
        default=0.1, ge=-1, le=1, description="resting valence of a character with no temperament"
    )
    baseline_arousal: float = Field(
        default=0.0, ge=-1, le=1, description="resting arousal of a character with no temperament"
    )
    reactivity: float = Field(
        default=0.5, ge=0, le=1, description="share of the way to an appraisal moved per turn"
    )
    decay_rate: float = Field(
        default=0.25, ge=0, le=1, description="share of the way back to baseline per turn"
    )
    user_weight: float = Field(
        default=1.0, ge=0, description="weight of the user's message in the appraisal"
    )
    reply_weight: float = Field(
        default=0.4, ge=0, description="weight of the character's own reply in the appraisal"
    )
    neutral_radius: float = Field(
        default=0.2, ge=0, le=1, description="affect closer than this to (0, 0) reads as neutral"
    )
    classifier_weight: float = Field(
        default=0.5, ge=0, le=1, description="share an injected classifier has in an appraisal"
    )


class CompanionSettings(BaseModel):
    """Defaults for character cards, lorebooks and companion prompt assembly."""

    card_max_file_bytes: int = Field(
        default=64 * 1024 * 1024, description="largest card file accepted (JSON, PNG or CHARX)"
    )
    card_max_json_bytes: int = Field(
        default=16 * 1024 * 1024, description="largest card JSON once extracted from its container"
    )
    default_system_prompt: str = Field(
        default="Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}.",
        description="system prompt for cards whose system_prompt is empty",
    )
    group_system_prompt: str = Field(
        default="Write {{char}}'s next reply in a fictional group chat between {{user}} and "
        "the other participants. Write only as {{char}}; never speak for anyone else.",
        description="default system prompt when a character speaks in a group chat",
    )
    lore_scan_depth: int = Field(
        default=2, description="recent messages a lorebook scans by default"
    )
    lore_token_budget: int = Field(default=1024, description="lorebook token budget by default")
    lore_recursive_scanning: bool = Field(
        default=False,
        description="whether fired lore may trigger more lore when the book does not say",
    )
    lore_max_recursion_steps: int = Field(
        default=3, description="bound on recursive lorebook passes"
    )
    lore_case_sensitive: bool = Field(
        default=False, description="key case rule when an entry sets none"
    )
    lore_regex_timeout_s: float = Field(
        default=0.05, description="time limit of one regex key search; slower ones do not match"
    )
    lore_match_whole_words: bool = Field(
        default=True,
        description="single-word keys match whole words only unless an entry says otherwise",
    )
    message_overhead_tokens: int = Field(
        default=6,
        description="tokens a chat template adds around each message (ChatML uses about 5)",
    )
    group_summary_max_chars: int = Field(
        default=240, description="longest 'other participant' line in a group chat prompt"
    )
    default_chat_model: str = Field(
        default="smollm2-135m", description="chat model of sessions that name none"
    )
    embedding_model: str | None = Field(
        default="all-minilm-l6-v2",
        description="catalogue embedding model for memory recall; None (or absent from the "
        "catalogue) = the built-in hashing embedder",
    )
    reply_max_tokens: int = Field(
        default=300, ge=1, description="reply cap of a companion turn that sets no max_tokens"
    )
    default_user_name: str = Field(
        default="User", description="what {{user}} becomes in sessions that name no user_name"
    )
    max_message_chars: int = Field(
        default=16000, ge=1, description="longest message an end user may send or edit in"
    )
    history_messages_loaded: int = Field(
        default=400, ge=2, description="newest messages read per turn before fitting the window"
    )
    chars_per_token_estimate: float = Field(
        default=4.0, gt=0, description="token estimate for models whose tokenizer Reef lacks"
    )
    memory_uses_llm: bool = Field(
        default=False,
        description="let the chat model extract facts, arbitrate and summarise (capable models "
        "only; the rule extractor alone is right for tiny ones)",
    )
    list_limit_max: int = Field(default=100, ge=1, description="most items one list call returns")
    card_max_field_chars: int = Field(
        default=32_000,
        ge=1,
        description="longest text of one card field the prompt or the page shows (description, "
        "a greeting, example dialogue, a lorebook entry...)",
    )
    card_max_text_chars: int = Field(
        default=500_000,
        ge=1,
        description="all of a card's text together (fields, greetings, lorebook, extensions); "
        "images embedded in the card do not count",
    )
    card_max_context_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of the chat model's context window that the card's permanent prompt "
        "(system prompt, description, personality, scenario, post-history instructions) may "
        "take, so chat history and the reply keep the rest",
    )
    worldbook_max_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1, description="largest world book (lorebook) file accepted"
    )
    worldbook_max_entries: int = Field(
        default=20_000, ge=1, description="most entries one world book may hold"
    )
    worldbooks_per_character_max: int = Field(
        default=16, ge=0, description="most world books one character may have attached"
    )
    worldbook_cache_books: int = Field(
        default=32, ge=0, description="world books kept converted in memory for prompt building"
    )
    memory: MemorySettings = MemorySettings()
    emotion: EmotionSettings = EmotionSettings()


class SpeechSettings(BaseModel):
    """Text-to-speech: Piper voices, worker threads and output defaults."""

    voice_table: Path | None = Field(
        default=None,
        description="voices/aliases TOML (see reef/engine/speech/voices.toml); None = built-in",
    )
    voices_dir: Path | None = Field(
        default=None,
        description="folder of extra Piper voices (NAME.onnx + NAME.onnx.json) to register",
    )
    default_voice: str = Field(
        default="reef-joe", description="voice used when a request names none"
    )
    worker_threads: int = Field(
        default=2, ge=1, description="threads rendering speech concurrently"
    )
    onnx_threads: int = Field(
        default=0, ge=0, description="ONNX Runtime threads per model; 0 = its own choice"
    )
    max_pending: int = Field(
        default=32, ge=1, description="syntheses admitted at once; more get 503"
    )
    max_characters: int = Field(
        default=10000, ge=1, description="longest text one request may speak"
    )
    sentence_max_chars: int = Field(
        default=240, ge=20, description="longest piece rendered at once; longer ones split"
    )
    sentence_pause_s: float = Field(
        default=0.18, ge=0, description="silence between sentences at speed 1"
    )
    target_rms_dbfs: float = Field(
        default=-20.0, le=0, description="speech level before voice/emotion gain"
    )
    mp3_bitrate: int = Field(default=128000, description="lossy bitrate when a request sets none")
    audio_url_ttl_s: float = Field(
        default=86400.0,
        gt=0,
        description="how long audio answered as a URL (MiniMax output_format 'url') is kept",
    )


class JobSettings(BaseModel):
    """The durable job runtime (reef.jobs, on DBOS): where it keeps state, how much runs."""

    embedded: bool = Field(
        default=True, description="`reef serve` also runs jobs in-process (no `reef worker`)"
    )
    modules: list[str] = Field(
        default_factory=list,
        description="modules imported at start whose import registers job kinds",
    )
    org_concurrency: int = Field(default=2, description="jobs of one organisation running at once")
    worker_concurrency: int = Field(default=4, description="jobs one process runs at once")
    system_schema: str = Field(
        default="dbos", description="PostgreSQL schema of the engine's tables"
    )
    poll_interval_s: float = Field(default=1.0, description="how often a worker polls the queue")
    recovery_interval_s: float = Field(
        default=5.0, description="how often a worker looks for jobs of dead workers"
    )


class ToolSearchSettings(BaseModel):
    """Toolsets and `/v1/tools/search`: sizes, the embedding model and retrieval knobs (the
    retrieval defaults were chosen on a tuning split of BFCL, see docs/benchmarks)."""

    embedding_model: str | None = Field(
        default="all-minilm-l6-v2",
        description="catalogue embedding model for hybrid search; None (or absent from the "
        "catalogue) = keyword search only",
    )
    max_tools_per_toolset: int = Field(
        default=10000, ge=1, description="most tools a toolset holds"
    )
    max_tools_per_call: int = Field(default=500, ge=1, description="most tools one request adds")
    max_k: int = Field(default=50, ge=1, description="most results one search returns")
    max_query_chars: int = Field(default=4000, ge=1, description="longest search query")
    embed_max_chars: int = Field(
        default=1000, ge=64, description="characters of a tool or query the embedder reads"
    )
    regex_max_length: int = Field(default=200, ge=1, description="longest regex pattern")
    regex_timeout_s: float = Field(
        default=0.25, gt=0, description="time a regex search may take over a whole toolset"
    )
    index_cache_size: int = Field(
        default=64, ge=1, description="toolset indexes kept in memory per process"
    )
    list_limit_max: int = Field(default=100, ge=1, description="most toolsets one list returns")


class AgentsSettings(BaseModel):
    """The agent-facing APIs."""

    tool_search: ToolSearchSettings = ToolSearchSettings()


class Settings(BaseSettings):
    """Everything an operator can configure."""

    model_config = SettingsConfigDict(
        env_prefix="REEF_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = Field(
        default="reef:",
        description="namespace of Reef's Redis keys; replicas of one deployment share it",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    catalogue: Path | None = Field(
        default=None, description="model catalogue TOML; None = built-in"
    )
    key_cache_ttl_s: float = Field(default=2.0, description="how long a verified key is trusted")
    metering_flush_interval_s: float = 0.2
    metering_batch_size: int = 500
    metering_durable_wait_s: float = Field(
        default=5.0,
        description="longest a response waits for its usage record to be committed before its "
        "last bytes are sent; past it (database down) the record stays queued and is retried",
    )
    upstream_timeout_s: float = 60.0
    max_request_body_bytes: int = Field(
        default=4 * 1024 * 1024, description="largest request body the API accepts (413 beyond)"
    )
    max_embedding_inputs: int = Field(
        default=2048, description="most texts one embeddings call may send"
    )
    shutdown_grace_s: int = Field(
        default=10, description="seconds `reef serve` lets in-flight requests finish when stopping"
    )
    log_level: str = "info"
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); "
        "unset: no tracing",
    )
    otel_service_name: str = Field(default="reef", description="service.name of the spans")
    engine: EngineSettings = EngineSettings()
    speech: SpeechSettings = SpeechSettings()
    companion: CompanionSettings = CompanionSettings()
    jobs: JobSettings = JobSettings()
    agents: AgentsSettings = AgentsSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("REEF_CONFIG", "reef.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @cached_property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'reef.db').resolve()}"
