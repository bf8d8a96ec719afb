import json
import unicodedata
from collections import Counter

from services.content.domain import Playbook, Quote
from services.content.retrieval import LIBRARY, Library, passages_of
from tests.content.test_domain import T0


def playbook(**changes: object) -> Playbook:
    fields: dict[str, object] = {
        "id": "p",
        "title": "Selling without pushing",
        "tagline": "Conversations that close",
        "domain_tags": ("sales", "selling"),
        "tone": "warm",
        "body": "",
        "fallback_header": "",
        "fallback_paragraphs": (),
        "version": "v",
        "updated_at": T0,
        "updated_by": "sam@example.com",
    }
    return Playbook(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_library_holds_attributed_topic_tagged_quotes_each_once():
    entries = json.loads(LIBRARY.read_text(encoding="utf-8"))

    assert len(entries) >= 495
    assert len({e["text"] for e in entries}) == len(entries)
    assert all(e["text"] and e["author"] and e["source"] and e["topics"] for e in entries)
    assert all(2 <= len(e["topics"]) == len(set(e["topics"])) <= 5 for e in entries)
    assert all(t == t.lower().strip() for e in entries for t in e["topics"])


def test_every_topic_of_the_library_tags_at_least_three_quotes():
    entries = json.loads(LIBRARY.read_text(encoding="utf-8"))

    uses = Counter(t for e in entries for t in e["topics"])

    assert {t: n for t, n in uses.items() if n < 3} == {}


def _name_key(author: str) -> tuple[str, str]:
    """Surname and first initial, accents and case ignored: "Ralph W. Emerson" and "Ralph Waldo
    Emerson" share it, Theodore and Franklin D. Roosevelt do not."""
    plain = unicodedata.normalize("NFKD", author).encode("ascii", "ignore").decode().lower()
    words = plain.replace(".", " ").split()
    return words[-1], words[0][0] if len(words) > 1 else ""


def test_each_author_of_the_library_is_spelled_one_way():
    authors = {e["author"] for e in json.loads(LIBRARY.read_text(encoding="utf-8"))}

    spellings: dict[tuple[str, str], set[str]] = {}
    for author in authors:
        spellings.setdefault(_name_key(author), set()).add(author)
    surnames: dict[str, set[str]] = {}
    for author in authors:
        surnames.setdefault(_name_key(author)[0], set()).add(author)

    assert [s for s in spellings.values() if len(s) > 1] == []
    # A bare surname ("Emerson") beside a full name ("Ralph Waldo Emerson") is the same person.
    assert [s for s in surnames.values() if len(s) > 1 and any(" " not in a for a in s)] == []


def test_the_name_key_tells_near_duplicate_spellings_from_different_people():
    assert _name_key("Ralph W. Emerson") == _name_key("Ralph Waldo Emerson")
    assert _name_key("René Descartes") == _name_key("Rene Descartes")
    assert _name_key("Theodore Roosevelt") != _name_key("Franklin D. Roosevelt")


def test_the_quotes_about_the_playbooks_domain_are_its_five_candidates():
    candidates = Library.load().context(playbook()).quotes

    assert len(candidates) == 5
    assert Quote("Everyone lives by selling something.", "Robert Louis Stevenson") in candidates


def test_a_query_matching_no_quote_still_gets_five_candidates():
    candidates = Library.load().candidates("zzzz qqqq")

    assert len(candidates) == 5


def test_the_passages_that_match_the_playbook_come_first_and_unrelated_ones_not_at_all():
    body = (
        "Our office moved to a new building in spring.\n\n"
        "Selling starts with a question: what happens if nothing changes?\n\n"
        "Lunch is served at noon."
    )

    passages = Library.load().context(playbook(body=body)).passages

    assert passages == ("Selling starts with a question: what happens if nothing changes?",)


def test_a_long_paragraph_is_cut_into_passages_at_sentence_ends():
    paragraph = " ".join(f"Sentence number {i} is about selling well." for i in range(40))

    passages = passages_of(paragraph)

    assert len(passages) > 1
    assert all(p.endswith(".") and len(p) <= 600 for p in passages)
    assert " ".join(passages) == paragraph
