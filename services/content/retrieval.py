"""Context for the model: the quotes of the library (quotes.json, shipped with the service) and
the passages of the playbook's own text that best match its title, tagline and tags, ranked
with BM25 (bm25s: sparse matrices over a plain tokenizer, no model to download)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import bm25s

from services.content.domain import Playbook, Quote

LIBRARY = Path(__file__).parent / "quotes.json"
CANDIDATES = 5
PASSAGES = 3
PASSAGE_CHARS = 600


@dataclass(frozen=True)
class Context:
    quotes: tuple[Quote, ...]
    passages: tuple[str, ...]


def _new_index() -> bm25s.BM25:
    # bm25s sets its own logger to DEBUG when imported: one line per index built otherwise.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s.BM25()


def _tokens(texts: list[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(texts, return_ids=False, show_progress=False)
    assert isinstance(tokens, list)
    return tokens


def _ranked(documents: list[str], query: str, k: int) -> list[int]:
    """Indexes of the `k` best documents for `query`, best first; none if no word matches."""
    k = min(k, len(documents))
    question = _tokens([query])
    if k == 0 or not question[0]:
        return []
    index = _new_index()
    index.index(_tokens(documents), show_progress=False)
    found, scores = index.retrieve(question, k=k, show_progress=False)
    return [int(i) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def passages_of(body: str) -> list[str]:
    """The body's paragraphs, long ones cut at sentence ends into pieces of a few hundred
    characters."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        piece = ""
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())):
            if piece and len(piece) + len(sentence) > PASSAGE_CHARS:
                out.append(piece)
                piece = ""
            piece = f"{piece} {sentence}".strip()
        if piece:
            out.append(piece[: PASSAGE_CHARS * 2])
    return out


class Library:
    """The quote library, indexed once when the service starts."""

    def __init__(self, quotes: list[Quote], topics: list[str]):
        self.quotes = quotes
        documents = [f"{q.text} {t}" for q, t in zip(quotes, topics, strict=True)]
        self._index = _new_index()
        self._index.index(_tokens(documents), show_progress=False)

    @classmethod
    def load(cls, path: Path = LIBRARY) -> Library:
        entries = json.loads(path.read_text(encoding="utf-8"))
        quotes = [Quote(e["text"], e["author"]) for e in entries]
        # Topics count twice: they are what a quote is about, its words only sometimes are.
        topics = [" ".join(e["topics"] * 2) for e in entries]
        return cls(quotes, topics)

    def candidates(self, query: str, k: int = CANDIDATES) -> tuple[Quote, ...]:
        """The `k` quotes that best match; quotes matching nothing fill up the rest in library
        order, so the model always has `k` to choose from."""
        question = _tokens([query])
        chosen: list[int] = []
        if question[0]:
            found, scores = self._index.retrieve(
                question, k=min(k, len(self.quotes)), show_progress=False
            )
            chosen = [int(i) for i, s in zip(found[0], scores[0], strict=True) if s > 0]
        chosen += [i for i in range(len(self.quotes)) if i not in chosen][: k - len(chosen)]
        return tuple(self.quotes[i] for i in chosen)

    def context(self, playbook: Playbook) -> Context:
        query = " ".join([playbook.title, playbook.tagline, *playbook.domain_tags])
        passages = passages_of(playbook.body)
        best = _ranked(passages, query, PASSAGES)
        return Context(self.candidates(query), tuple(passages[i] for i in best))
