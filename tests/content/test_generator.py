"""The Anthropic adapter: the real `anthropic` client against the local stub server."""

import asyncio

import pytest

from services.content.generator import AnthropicGenerator, GenerationFailed
from services.content.retrieval import Library
from tests.content import anthropic_stub as modes
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.content.test_retrieval import playbook
from tests.processes import free_port

MODEL = "claude-test-model"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    with anthropic_stub() as running:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", running.base_url)
        yield running


def write(timeout_s: float = 5.0):
    generator = AnthropicGenerator(MODEL, timeout_s=timeout_s, max_tokens=512)
    book = playbook()
    context = Library.load().context(book)

    async def run():
        try:
            return await generator.write(book, context)
        finally:
            await generator.close()

    return asyncio.run(run()), context


def failure(timeout_s: float = 5.0) -> GenerationFailed:
    with pytest.raises(GenerationFailed) as caught:
        write(timeout_s)
    return caught.value


def test_the_copy_comes_from_a_tool_call_and_its_quote_from_the_candidates(stub: Stub):
    copy, context = write()

    assert copy.header == f"Stub header for {MODEL}"
    assert copy.paragraphs == ("First stub paragraph.", "Second stub paragraph.")
    assert copy.quote == context.quotes[-1]
    request = stub.requests[0]
    assert request["tool_choice"] == {"type": "tool", "name": "gate_copy"}
    assert "Selling without pushing" in request["messages"][0]["content"]
    assert stub.headers[0]["authorization"] == "Bearer sk-test-key"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (modes.OVERLOADED, "overloaded"),
        (modes.MALFORMED, "invalid_output"),
        (modes.INVENTED, "quote_rejected"),
        (modes.REFUSAL, "refusal"),
    ],
)
def test_each_failure_of_the_model_is_named_and_never_retried(stub: Stub, mode, reason):
    stub.mode = mode

    assert failure().reason == reason
    assert stub.calls == 1


def test_a_model_slower_than_the_timeout_is_a_timeout(stub: Stub):
    stub.mode, stub.delay_s = modes.DELAY, 2.0

    assert failure(timeout_s=0.5).reason == "timeout"


def test_no_api_key_fails_without_calling_the_model(stub: Stub, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)

    assert failure().reason == "no_api_key"
    assert stub.calls == 0


def test_a_refused_connection_is_an_error(stub: Stub, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{free_port()}")

    assert failure().reason == "error"
