"""The batch gallery as one self-contained HTML page: no server, no network, opens from the file system.

Filtering (all / ok / failed) is pure CSS, and ``index.html#failed`` opens filtered; a few lines of inline
script count the images that loaded and the cards shown, and write the counts on ``<body>``
(``data-images-ok``, ``data-images-broken``, ``data-cards-shown``), for people and for tests.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from .batch import ItemState, image_tokens_of

__all__ = ["render_gallery"]

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{padding:12px 16px;background:#222;color:#eee;position:sticky;top:0;z-index:1}
header label{margin-left:12px;cursor:pointer;padding:2px 8px;border-radius:4px}
#show-all:checked~header [for=show-all],#show-ok:checked~header [for=show-ok],
#show-failed:checked~header [for=show-failed]{background:#eee;color:#222}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px;padding:16px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:8px;margin:0;overflow-wrap:anywhere}
.card img{width:100%;height:auto;max-height:260px;object-fit:contain;background:#eee;display:block}
.card.failed{border-left:4px solid #c33}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 8px;margin:6px 0 0;font-size:12px}
.card dt{color:#777}.card dd{margin:0}
.reason{color:#a11;font-weight:600}
#show-ok:checked~main .failed,#show-failed:checked~main .ok{display:none}
"""

_SCRIPT = """
window.addEventListener("load",function(){
  var ok=0,bad=0;document.querySelectorAll("main img").forEach(function(i){
    if(i.complete&&i.naturalWidth>0){ok++}else{bad++;i.closest(".card").classList.add("broken")}});
  document.body.dataset.imagesOk=ok;document.body.dataset.imagesBroken=bad;
  document.getElementById("loaded").textContent=ok+" images loaded"+(bad?", "+bad+" missing":"")+" ·";
  var pick=document.getElementById("show-"+location.hash.slice(1));if(pick){pick.checked=true}
  var shown=0;document.querySelectorAll("main .card").forEach(function(c){if(c.offsetParent!==null){shown++}});
  document.body.dataset.cardsShown=shown;
});
"""


def _row(label: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"<dt>{html.escape(label)}</dt><dd>{html.escape(str(value))}</dd>"


def _card(state: ItemState) -> str:
    ident = html.escape(state.id)
    prompt = _row("prompt", state.prompt)
    if state.status == "done" and state.done is not None:
        done: Mapping[str, Any] = state.done
        src = quote(str(done.get("file", "")))
        tokens = image_tokens_of(done.get("usage")) or None
        rows = "".join(
            [
                prompt,
                _row("revised", done.get("revised_prompt")),
                _row("size", done.get("size")),
                _row("request id", done.get("request_id")),
                _row("image tokens", tokens),
                _row("deployment", done.get("target")),
            ]
        )
        return (
            f'<figure class="card ok" data-id="{ident}"><img src="{src}" alt="{html.escape(state.prompt[:200])}">'
            f"<figcaption><b>{ident}</b><dl>{rows}</dl></figcaption></figure>"
        )
    failure = state.failure or {}
    if state.status == "failed":
        reason = f"{failure.get('error', 'failed')}: {failure.get('message', '')}"
        klass = "failed"
    else:
        reason = "not finished (run again with --resume)"
        klass = "failed pending"
    rows = "".join(
        [
            prompt,
            _row("retrying may help", "yes" if failure.get("retryable") else ("no" if failure else None)),
            _row("request id", failure.get("request_id")),
        ]
    )
    return (
        f'<figure class="card {klass}" data-id="{ident}"><p class="reason">{html.escape(reason)}</p>'
        f"<figcaption><b>{ident}</b><dl>{rows}</dl></figcaption></figure>"
    )


def render_gallery(states: Iterable[ItemState], *, title: str = "foundry-imagegen batch") -> str:
    """The page for these items: done ones with their image and facts, the others with their reason.

    Example::

        render_gallery(replay(parse_journal(lines)).values())
    """
    items = list(states)
    ok = sum(1 for s in items if s.status == "done")
    cards = "\n".join(_card(s) for s in items)
    head = html.escape(title)
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # No network: nothing but this file and the images beside it may load.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>{head}</title><style>{_STYLE}</style><script>{_SCRIPT}</script></head>\n"
        f'<body data-total="{len(items)}" data-ok="{ok}" data-failed="{len(items) - ok}">\n'
        "<input type=radio name=show id=show-all checked hidden><input type=radio name=show id=show-ok hidden>"
        "<input type=radio name=show id=show-failed hidden>"
        f"<header><b>{head}</b> <span id=loaded></span> show: <label for=show-all>all ({len(items)})</label>"
        f"<label for=show-ok>ok ({ok})</label><label for=show-failed>failed ({len(items) - ok})</label></header>"
        f"\n<main>\n{cards}\n</main>\n</body></html>\n"
    )
