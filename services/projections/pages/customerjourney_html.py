"""The /customerjourney page: every prospect on the board, mapped across the six stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from schemas.stages import STAGES
from services.projections.models.board import BoardRow, stage_name
from services.projections.pages.layout import LOGOUT_SCRIPT, document, humanise

PATH = "/customerjourney"


@dataclass(frozen=True)
class BoardView:
    who: str
    names: tuple[str, ...]
    now: datetime
    form: Mapping[str, str]
    stage: int | None
    counts: Mapping[int, int]
    cards: Mapping[int, Sequence[BoardRow]]
    entry_points: Sequence[tuple[str, str | None]] = ()
    campaigns: Sequence[str] = ()
    errors: Sequence[str] = ()
    next_cursor: str | None = None
    shown: Mapping[str, str] = field(default_factory=dict)


def board_page(view: BoardView) -> str:
    total = sum(view.counts[s] for s in _stages(view))
    where = "matching the filters" if any(view.shown.values()) else "on the journey"
    body = "".join(
        [
            _header(view.who),
            _filters(view),
            "".join(f'<p class="errors" role="alert">{escape(e)}</p>' for e in view.errors),
            f'<main><p class="summary">{total} prospect{"" if total == 1 else "s"} {where}</p>',
            _single(view) if view.stage is not None else _columns(view),
            "</main>",
        ]
    )
    return document("Customer journey", body, LOGOUT_SCRIPT)


def _stages(view: BoardView) -> list[int]:
    return [view.stage] if view.stage is not None else list(STAGES)


def _header(who: str) -> str:
    return (
        '<header class="top"><h1>Customer journey</h1>'
        f'<span class="who">{escape(who)}<button id="logout" type="button">Log out</button>'
        "</span></header>"
    )


def _filters(view: BoardView) -> str:
    form = view.form
    options = ['<option value="">All stages</option>']
    for s in STAGES:
        chosen = " selected" if form.get("stage") == str(s) else ""
        options.append(
            f'<option value="{s}"{chosen}>{s} · {escape(stage_name(s, view.names))}</option>'
        )
    ctas = "".join(
        f'<option value="{escape(cta)}">{escape(label or cta)}</option>'
        for cta, label in view.entry_points
    )
    campaigns = "".join(f'<option value="{escape(c)}"></option>' for c in view.campaigns)
    return f"""<form class="filters" method="get" action="{PATH}" role="search">
<label>Search<input type="search" name="q" value="{escape(form.get("q", ""))}"
 placeholder="prospect id or email" maxlength="200"></label>
<label>Stage<select name="stage">{"".join(options)}</select></label>
<label>Entry point (CTA id)<input name="entry_point" list="entry-points"
 value="{escape(form.get("entry_point", ""))}" maxlength="200"></label>
<datalist id="entry-points">{ctas}</datalist>
<label>UTM campaign<input name="utm_campaign" list="campaigns"
 value="{escape(form.get("utm_campaign", ""))}" maxlength="200"></label>
<datalist id="campaigns">{campaigns}</datalist>
<button type="submit">Filter</button><a href="{PATH}">Clear</a>
</form>"""


def _columns(view: BoardView) -> str:
    sections = []
    for s in STAGES:
        cards = view.cards.get(s, ())
        more = view.counts[s] - len(cards)
        link = _link(view.shown, stage=str(s))
        tail = (
            f'<a class="more" href="{link}">{more} more in {escape(stage_name(s, view.names))}</a>'
            if more > 0
            else ""
        )
        sections.append(
            f'<section class="stage stage-{s}" data-stage="{s}" aria-labelledby="stage-{s}">'
            f'<h2 id="stage-{s}"><a href="{link}">{s} · {escape(stage_name(s, view.names))}</a>'
            f'<span class="count">{view.counts[s]}</span></h2>'
            f"{_cards(view, cards)}{tail}</section>"
        )
    return f'<div class="board">{"".join(sections)}</div>'


def _single(view: BoardView) -> str:
    assert view.stage is not None
    s = view.stage
    tabs = "".join(
        f'<a href="{_link(view.shown, stage=str(n))}"{" aria-current=page" if n == s else ""}>'
        f"{n} · {escape(stage_name(n, view.names))} ({view.counts[n]})</a>"
        for n in STAGES
    )
    everything = f'<a href="{_link(view.shown, stage="")}">All stages</a>'
    tail = (
        f'<a class="more" href="{_link(view.shown, cursor=view.next_cursor)}">Next page</a>'
        if view.next_cursor
        else ""
    )
    return (
        f'<nav class="stages" aria-label="stages">{everything}{tabs}</nav>'
        f'<div class="board single"><section class="stage stage-{s}" data-stage="{s}" '
        f'aria-labelledby="stage-{s}"><h2 id="stage-{s}">{s} · '
        f'{escape(stage_name(s, view.names))}<span class="count">{view.counts[s]}</span></h2>'
        f"{_cards(view, view.cards.get(s, ()))}{tail}</section></div>"
    )


def _cards(view: BoardView, rows: Sequence[BoardRow]) -> str:
    if not rows:
        return '<p class="empty">No prospects here.</p>'
    return f'<ol class="cards">{"".join(_card(view, r) for r in rows)}</ol>'


def _card(view: BoardView, row: BoardRow) -> str:
    in_stage = humanise((view.now - row.entered_stage_at).total_seconds())
    name = row.email or row.prospect_id
    clicks = f"{row.clicks} click{'' if row.clicks == 1 else 's'}"
    return (
        f'<li class="card" data-prospect-id="{escape(row.prospect_id)}">'
        f'<div class="name" title="{escape(row.prospect_id)}">{escape(name)}</div>'
        f'<div class="line">Stage {row.stage} · {escape(stage_name(row.stage, view.names))}</div>'
        f'<div class="time" title="entered {escape(row.entered_stage_at.isoformat())}">'
        f"{escape(in_stage)} in stage</div>"
        f"<dl>{_entry(row)}</dl>"
        f'<div class="line">{row.points} pts · {clicks}</div></li>'
    )


def _entry(row: BoardRow) -> str:
    if row.entry_kind is None:
        told = "imported, none recorded" if row.imported else "none recorded"
        return f"<dt>Entry</dt><dd>{told}</dd>"
    if row.entry_kind == "inquiry":
        what = f"Form {row.entry_form_id or ''}".strip()
        hint = row.entry_page or ""
    else:
        what = row.entry_cta_label or row.entry_cta_id or "CTA"
        hint = f"{row.entry_cta_id or ''} {row.entry_page or ''}".strip()
    utm = " / ".join(p for p in (row.utm_source, row.utm_campaign) if p) or "none"
    return (
        f'<dt>Entry</dt><dd class="entry" title="{escape(hint)}">{escape(what)}</dd>'
        f'<dt>UTM</dt><dd class="utm">{escape(utm)}</dd>'
    )


def _link(shown: Mapping[str, str], **changes: str | None) -> str:
    query = {**shown, "cursor": ""} | {k: v or "" for k, v in changes.items()}
    kept = {k: v for k, v in query.items() if v}
    return escape(f"{PATH}?{urlencode(kept)}" if kept else PATH)
