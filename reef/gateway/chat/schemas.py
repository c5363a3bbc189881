"""Request bodies of the public API. Field rules live here so FastAPI rejects bad input before
any backend sees it; rules that span fields raise `InvalidRequest` naming the parameter."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from reef.engine.protocol import ChatRequest
from reef.errors import InvalidRequest

MAX_STOP_SEQUENCES = 4
CHARS_PER_TOKEN_ESTIMATE = 4
# Sampling parameters some backends understand; passed through to them untouched.
PASS_THROUGH_PARAMS = ("presence_penalty", "frequency_penalty", "logit_bias", "repetition_penalty")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class FunctionDefinition(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDefinition(BaseModel):
    type: Literal["function"]
    function: FunctionDefinition


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    description: str | None = None
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class ChatMessage(BaseModel):
    """One message; extra keys (e.g. `name`) travel on to the backend."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class ChatCompletionBody(BaseModel):
    """`POST /v1/chat/completions`. Unknown keys are refused, as OpenAI does, except a few
    accepted-and-ignored ones that common clients send."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    max_completion_tokens: int | None = Field(None, ge=1)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=0)
    n: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    user: str | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    repetition_penalty: float | None = Field(None, gt=0)
    logprobs: bool | None = None
    top_logprobs: int | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None

    @field_validator("n")
    @classmethod
    def _only_one_choice(cls, n: int | None) -> int | None:
        if n is not None and n != 1:
            raise PydanticCustomError(
                "invalid_value",
                "only n=1 is supported (one choice per request), got n={n}",
                {"n": n},
            )
        return n

    @field_validator("stop")
    @classmethod
    def _few_stops(cls, stop: str | list[str] | None) -> str | list[str] | None:
        if isinstance(stop, list) and len(stop) > MAX_STOP_SEQUENCES:
            raise PydanticCustomError(
                "invalid_value",
                "at most {limit} stop sequences are allowed",
                {"limit": MAX_STOP_SEQUENCES},
            )
        return stop

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, logprobs: bool | None) -> bool | None:
        if logprobs:
            raise PydanticCustomError("invalid_value", "logprobs are not supported", {})
        return logprobs

    def include_usage(self) -> bool:
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)

    def completion_cap(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    def estimated_tokens(self, default_cap: int) -> int:
        """Prompt characters / 4 plus the completion cap: what admission reserves up front."""
        chars = sum(len(_text_of(m.content)) for m in self.messages)
        return chars // CHARS_PER_TOKEN_ESTIMATE + (self.completion_cap() or default_cap)

    def to_chat_request(
        self, *, allow_non_text: bool, request_id: str | None = None
    ) -> ChatRequest:
        """Check the rules that span fields and build the backend request (`request_id` lets
        the engine's log lines name the request)."""
        if self.stream_options is not None and not self.stream:
            raise InvalidRequest(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
            )
        self._check_tools()
        self._check_response_format()
        extras = {
            name: getattr(self, name)
            for name in PASS_THROUGH_PARAMS
            if getattr(self, name) is not None
        }
        if request_id is not None:
            extras["request_id"] = request_id
        stop = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        return ChatRequest(
            model=self.model,
            messages=[_backend_message(i, m, allow_non_text) for i, m in enumerate(self.messages)],
            stream=self.stream,
            tools=[t.model_dump(exclude_none=True) for t in self.tools] if self.tools else None,
            tool_choice=self.tool_choice if self.tools else None,
            response_format=self._response_format_payload(),
            max_tokens=self.completion_cap(),
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            seed=self.seed,
            stop=stop,
            user=self.user,
            **extras,
        )

    def _check_tools(self) -> None:
        if self.tool_choice is None or self.tool_choice == "none":
            return
        if not self.tools:
            raise InvalidRequest(
                "'tool_choice' is only allowed when 'tools' are specified.", param="tool_choice"
            )
        if isinstance(self.tool_choice, dict):
            function = self.tool_choice.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if self.tool_choice.get("type") != "function" or not isinstance(name, str):
                raise InvalidRequest(
                    "'tool_choice' must be none, auto, required or "
                    '{"type": "function", "function": {"name": ...}}.',
                    param="tool_choice",
                )
            if name not in {t.function.name for t in self.tools}:
                raise InvalidRequest(
                    f"'tool_choice' names function {name!r}, which is not in 'tools'.",
                    param="tool_choice",
                )

    def _check_response_format(self) -> None:
        fmt = self.response_format
        if fmt is not None and fmt.type == "json_schema" and fmt.json_schema is None:
            raise InvalidRequest(
                "response_format of type 'json_schema' needs a 'json_schema' object.",
                param="response_format.json_schema",
            )

    def _response_format_payload(self) -> dict[str, Any] | None:
        if self.response_format is None or self.response_format.type == "text":
            return None
        return self.response_format.model_dump(exclude_none=True, by_alias=True)


def _text_of(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content)


def _backend_message(index: int, message: ChatMessage, allow_non_text: bool) -> dict[str, Any]:
    """Text-only content parts become one string; `developer` is the newer name of `system`."""
    body = message.model_dump(exclude_none=True)
    if body["role"] == "developer":
        body["role"] = "system"
    content = message.content
    if isinstance(content, list):
        kinds = {part.get("type") for part in content}
        if kinds <= {"text"}:
            body["content"] = _text_of(content)
        elif not allow_non_text:
            raise InvalidRequest(
                f"This model accepts text only; message {index} has content parts of type "
                f"{sorted(str(k) for k in kinds - {'text'})}.",
                param=f"messages[{index}].content",
            )
    if content is None and not message.tool_calls:
        if message.role != "assistant":
            raise InvalidRequest(
                f"Message {index} (role {message.role!r}) needs 'content'.",
                param=f"messages[{index}].content",
            )
        body["content"] = ""
    if message.role == "tool" and not message.tool_call_id:
        raise InvalidRequest(
            f"Message {index} has role 'tool' but no 'tool_call_id'.",
            param=f"messages[{index}].tool_call_id",
        )
    return body


class MiniMaxChatBody(ChatCompletionBody):
    """MiniMax clients send extra keys of their own (`mask_sensitive_info`, ...): ignore them."""

    model_config = ConfigDict(extra="ignore")


class EmbeddingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, ge=1)
    user: str | None = None

    def texts(self, max_inputs: int) -> list[str]:
        """The inputs as a list of non-empty strings; token-id arrays are refused."""
        raw = self.input
        texts = [raw] if isinstance(raw, str) else raw
        if not texts:
            raise InvalidRequest("'input' must not be empty.", param="input")
        if len(texts) > max_inputs:
            raise InvalidRequest(
                f"'input' has {len(texts)} items; at most {max_inputs} are allowed.", param="input"
            )
        out: list[str] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidRequest(
                    "Token-id arrays are not supported as 'input'; send text instead.",
                    param="input",
                )
            if not text:
                raise InvalidRequest(f"'input[{i}]' is an empty string.", param="input")
            out.append(text)
        return out
