"""Writing gate copy with Anthropic's Messages API: the real `anthropic.AsyncAnthropic` client,
asked for the copy as the input of one tool, which Pydantic then checks."""

from __future__ import annotations

import json
from typing import Annotated, Literal, Protocol

import anthropic
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from services.content.domain import Copy, Playbook, QuoteRejected, checked_quote
from services.content.retrieval import Context

Reason = Literal[
    "timeout", "error", "overloaded", "refusal", "invalid_output", "quote_rejected", "no_api_key"
]
TOOL = "gate_copy"
Paragraph = Annotated[str, StringConstraints(min_length=1, max_length=1500)]


class GenerationFailed(Exception):
    def __init__(self, reason: Reason, detail: str):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}")


class Generator(Protocol):
    model: str

    async def write(self, playbook: Playbook, context: Context) -> Copy:
        """The copy, its quote one of the context's candidates; raises GenerationFailed."""
        ...


class Draft(BaseModel):
    """What the model must give: the tool's input schema, and its check."""

    header: str = Field(min_length=1, max_length=200)
    paragraphs: list[Paragraph] = Field(min_length=2, max_length=3)
    quote: str = Field(min_length=1, max_length=1000, description="verbatim, from the candidates")
    quote_author: str = Field(min_length=1, max_length=200)


def prompt(playbook: Playbook, context: Context) -> str:
    request = {
        "playbook": {
            "title": playbook.title,
            "tagline": playbook.tagline,
            "domain_tags": list(playbook.domain_tags),
            "tone": playbook.tone,
        },
        "passages_from_the_playbook": list(context.passages),
        "candidate_quotes": [{"quote": q.text, "author": q.author} for q in context.quotes],
    }
    return (
        "Write the copy shown above the email form of this gated playbook: a header, two or "
        "three short supporting paragraphs in the given tone, and exactly one of the candidate "
        "quotes that fits best, copied word for word with its author. Use only facts from the "
        f"playbook and its passages. Answer with the {TOOL} tool.\n\n"
        + json.dumps(request, ensure_ascii=False, indent=1)
    )


def copy_of(message: anthropic.types.Message, context: Context) -> Copy:
    if message.stop_reason == "refusal":
        raise GenerationFailed("refusal", "the model declined to write the copy")
    uses = [b for b in message.content if b.type == "tool_use" and b.name == TOOL]
    if not uses:
        raise GenerationFailed("invalid_output", f"no {TOOL} tool call in the answer")
    try:
        draft = Draft.model_validate(uses[0].input)
    except ValidationError as exc:
        raise GenerationFailed("invalid_output", str(exc).splitlines()[0][:300]) from exc
    try:
        quote = checked_quote(draft.quote, draft.quote_author, context.quotes)
    except QuoteRejected as exc:
        raise GenerationFailed("quote_rejected", str(exc)) from exc
    return Copy(draft.header.strip(), tuple(p.strip() for p in draft.paragraphs), quote)


class AnthropicGenerator:
    """Key and base URL as the library reads them (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL). No
    retries: the gate has one budget, and the next visitor's request is the retry."""

    def __init__(self, model: str, *, timeout_s: float, max_tokens: int):
        self.model, self.timeout_s, self.max_tokens = model, timeout_s, max_tokens
        self._client: anthropic.AsyncAnthropic | None = None

    def _connected(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            self._client = anthropic.AsyncAnthropic(max_retries=0, timeout=self.timeout_s)
        if self._client.api_key is None and self._client.auth_token is None:
            raise GenerationFailed("no_api_key", "ANTHROPIC_API_KEY is not set")
        return self._client

    async def write(self, playbook: Playbook, context: Context) -> Copy:
        client = self._connected()
        try:
            message = await client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                tools=[
                    {
                        "name": TOOL,
                        "description": "The gate copy: header, paragraphs and one quote.",
                        "input_schema": Draft.model_json_schema(),
                    }
                ],
                tool_choice={"type": "tool", "name": TOOL},
                messages=[{"role": "user", "content": prompt(playbook, context)}],
            )
        except anthropic.APITimeoutError as exc:
            raise GenerationFailed("timeout", "the model did not answer in time") from exc
        except (anthropic.RateLimitError, anthropic.OverloadedError) as exc:
            raise GenerationFailed("overloaded", f"HTTP {exc.status_code}") from exc
        except anthropic.APIStatusError as exc:
            raise GenerationFailed("error", f"HTTP {exc.status_code}") from exc
        except anthropic.APIError as exc:
            raise GenerationFailed("error", type(exc).__name__) from exc
        return copy_of(message, context)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
