"""Router: lazy backends per model and ordered fallbacks before the first chunk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from reef.engine.catalogue import Catalogue, ModelSpec
from reef.engine.protocol import ChatRequest
from reef.engine.remote import OpenAICompatibleBackend
from reef.engine.router import Router
from reef.errors import ContextLengthExceeded, NotFound, UpstreamError
from reef.settings import EngineSettings
from tests.support.upstream import DEFAULT_KEY, FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream(slow_s=3.0)
    fake.start()
    fake.gate.set()
    yield fake
    fake.stop()


def remote(upstream: FakeUpstream, name: str, upstream_model: str, **extra: object) -> ModelSpec:
    return ModelSpec(
        name=name,
        backend="openai",
        base_url=upstream.base_url,
        api_key=DEFAULT_KEY,
        upstream_model=upstream_model,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def router(upstream: FakeUpstream) -> AsyncIterator[Router]:
    specs = [
        remote(upstream, "echo", "echo"),
        remote(upstream, "echo-b", "echo"),
        remote(upstream, "broken", "fail-500", fallbacks=["echo"]),
        remote(upstream, "slow", "slow", timeout_s=0.3, fallbacks=["broken", "echo-b"]),
        remote(upstream, "midfail", "midfail", fallbacks=["echo"]),
        remote(upstream, "too-long", "too-long", fallbacks=["echo"]),
        remote(upstream, "all-broken", "fail-500", fallbacks=["broken"]),
        ModelSpec(name="vectors", kind="embedding", backend="sentence-transformers", path="x"),
    ]
    routed = Router(Catalogue({s.name: s for s in specs}), EngineSettings(), timeout=10)
    yield routed
    await routed.close()


def ask(model: str, text: str = "route me") -> ChatRequest:
    return ChatRequest(model=model, messages=[{"role": "user", "content": text}])


async def answer(router: Router, model: str) -> tuple[str, str]:
    stream = await router.open_stream(ask(model))
    text = "".join([chunk.content or "" async for chunk in stream])
    return stream.model, text


async def test_healthy_model_answers_itself(router: Router) -> None:
    assert await answer(router, "echo") == ("echo", "echo: route me")


async def test_upstream_500_falls_back_to_next_model(router: Router) -> None:
    assert await answer(router, "broken") == ("echo", "echo: route me")


async def test_timeout_falls_back_along_the_ordered_list(router: Router) -> None:
    # slow times out, broken answers 500, echo-b finally answers.
    assert await answer(router, "slow") == ("echo-b", "echo: route me")


async def test_all_fail_raises_the_last_failure(router: Router) -> None:
    with pytest.raises(UpstreamError) as caught:
        await router.open_stream(ask("all-broken"))
    assert "broken on purpose" in caught.value.message


async def test_request_errors_do_not_fall_back(router: Router, upstream: FakeUpstream) -> None:
    before = len(upstream.requests)
    with pytest.raises(ContextLengthExceeded):
        await router.open_stream(ask("too-long"))
    assert [r["body"]["model"] for r in upstream.requests[before:]] == ["too-long"]


async def test_no_switch_after_the_first_chunk(router: Router, upstream: FakeUpstream) -> None:
    before = len(upstream.requests)
    stream = await router.open_stream(ask("midfail"))
    assert stream.model == "midfail"
    assert (await anext(stream)).content == "echo:"
    with pytest.raises(UpstreamError):
        await anext(stream)
    await stream.aclose()
    assert [r["body"]["model"] for r in upstream.requests[before:]] == ["midfail"]


async def test_backends_are_built_once_and_lazily(router: Router) -> None:
    assert router.stats() == {}
    first = router.chat_backend("echo")
    assert isinstance(first, OpenAICompatibleBackend)
    assert router.chat_backend("echo") is first


async def test_unknown_and_wrong_kind_models(router: Router) -> None:
    with pytest.raises(NotFound):
        await router.open_stream(ask("no-such-model"))
    with pytest.raises(NotFound):
        await router.open_stream(ask("vectors"))
    with pytest.raises(NotFound):
        router.embedding_backend("echo")


async def test_overloaded_engine_falls_back_before_the_first_chunk(
    upstream: FakeUpstream,
) -> None:
    """One slot, no queue: of two simultaneous requests the engine takes one and refuses the
    other, which the fallback model answers instead."""
    bundled = Catalogue.load().get("smollm2-135m")
    tiny = bundled.model_copy(update={"name": "tiny", "fallbacks": ["echo"]})
    specs = {"tiny": tiny, "echo": remote(upstream, "echo", "echo")}
    settings = EngineSettings(n_ctx=1024, n_seq_max=1, max_queue=0, n_threads=2)
    routed = Router(Catalogue(specs), settings, timeout=10)
    request = ChatRequest(
        model="tiny", messages=[{"role": "user", "content": "Say hi."}], max_tokens=8
    )
    try:
        warm = await routed.open_stream(request)
        _ = [chunk async for chunk in warm]
        assert warm.model == "tiny"
        first, second = await asyncio.gather(
            routed.open_stream(request), routed.open_stream(request)
        )
        answers = {first.model: first, second.model: second}
        assert set(answers) == {"tiny", "echo"}
        echoed = "".join([c.content or "" async for c in answers["echo"]])
        assert echoed == "echo: Say hi."
        await answers["tiny"].aclose()
        assert "tiny" in routed.stats()
    finally:
        await routed.close()
