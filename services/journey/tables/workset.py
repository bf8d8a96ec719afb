"""A batch's working set of prospects, and the cache of the prospects this process wrote."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import Event
from schemas.journey import ProspectsMergedV1
from services.journey.domain.decisions import decide
from services.journey.domain.rules import Rules
from services.journey.domain.state import Prospect, evolve
from services.journey.tables import prospects as store


def emails_of(events: Sequence[Event]) -> set[str]:
    return {email for e in events if (email := getattr(e, "email", None))}


@dataclass
class Workset:
    """The prospects one batch touches, loaded once, changed in memory, saved once."""

    state: dict[str, Prospect]
    existing: set[str]
    alias: dict[str, str]
    emails: dict[str, str]
    merged: dict[str, str] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    @classmethod
    async def load(
        cls, conn: AsyncConnection, events: Sequence[Event], known: Cache | None = None
    ) -> Workset:
        subjects = {e.subject_id for e in events}
        # A prospect in the cache is alive, so its id is nobody's alias (a merge drops the one
        # merged away from the cache): only the other ids are looked up, not a whole batch's
        # worth of ids that, but for a few, were never merged.
        cached = known.take(subjects) if known is not None else {}
        alias = await store.resolve(conn, subjects - cached.keys())
        ids = {alias.get(s, s) for s in subjects}
        if known is not None:
            cached.update(known.take(ids - cached.keys()))
        state = {**cached, **await store.load(conn, ids - set(cached))}
        for p in (await store.by_email(conn, emails_of(events))).values():
            state.setdefault(p.id, p)
        # The elder keeps a shared email: it is written last. Only prospects with an email are
        # sorted (sorting all of them cost 4 % of throughput).
        with_email = (p for p in state.values() if p.email)
        emails = {
            p.email: p.id
            for p in sorted(with_email, key=lambda p: (p.created_at, p.id), reverse=True)
            if p.email
        }
        return cls(state, set(state), alias, emails)

    def apply(self, event: Event, rules: Rules) -> list[Event]:
        pid = self.alias.get(event.subject_id, event.subject_id)
        email = getattr(event, "email", None)
        other_id = self.emails.get(email) if email else None
        other = self.state.get(other_id) if other_id and other_id != pid else None
        decided = decide(self.state.get(pid), event, rules, same_email=other)
        for out in decided:
            if isinstance(out, ProspectsMergedV1):
                self._fold_away(out.merged_id, out.subject_id)
            before = self.state.get(out.subject_id)
            after = evolve(before, out)
            if after is None:
                continue
            self.state[after.id] = after
            self.changed.add(after.id)
            if before is not None and before.email and before.email != after.email:
                self.emails.pop(before.email, None)
            if after.email:
                self.emails[after.email] = after.id
        return decided

    def _fold_away(self, gone: str, survivor: str) -> None:
        self.state.pop(gone, None)
        self.changed.discard(gone)
        self.merged[gone] = survivor
        for table in (self.merged, self.alias):
            for key, value in list(table.items()):
                if value == gone:
                    table[key] = survivor
        self.alias[gone] = survivor

    async def save(self, conn: AsyncConnection) -> None:
        changed = [self.state[i] for i in sorted(self.changed)]
        await store.save(conn, changed, self.existing, self.merged)


class Cache:
    """Prospects as this process last wrote them, trusted only while the database's write
    generation is the one this process itself left: any other writer invalidates all of it."""

    def __init__(self, size: int):
        self.size = size
        self.generation: int | None = None
        self._items: OrderedDict[str, Prospect] = OrderedDict()

    def take(self, ids: set[str]) -> dict[str, Prospect]:
        return {i: p for i in ids if (p := self._items.get(i)) is not None}

    def keep(self, generation: int, work: Workset) -> None:
        self.generation = generation
        for gone in work.merged:
            self._items.pop(gone, None)
        for pid, prospect in work.state.items():
            self._items[pid] = prospect
            self._items.move_to_end(pid)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def forget(self) -> None:
        self.generation = None
        self._items.clear()
