"""report.html: the report as one self-contained page (figures embedded as base64 PNG, styles inline).

The page needs no server and no network: open it in any browser. It holds the summary table with each row
coloured by its verdict, then one section per check (claim, description, notes, error, figures). Markdown of
the check docstrings and notes is rendered by :func:`markdown_to_html`, a small converter for the subset the
suite writes (headers, paragraphs, bullet lists, pipe tables, fenced code, ``code``, **bold**, *italic*,
images). Everything else is escaped, never interpreted as HTML.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from .api import fmt_num

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #c8c8c8;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f0f0f0}
tr.pass td.verdict{background:#d9f2d9} tr.fail td.verdict{background:#f8d0d0}
tr.other td.verdict{background:#fde9c4}
span.pass{color:#17651d;font-weight:600} span.fail{color:#a11;font-weight:600} span.other{color:#8a5a00;font-weight:600}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;background:#f6f6f6}
pre{padding:.6rem;overflow-x:auto}
img{max-width:100%;border:1px solid #ddd;margin:.5rem 0}
section{border-top:2px solid #ddd;margin-top:2rem}
"""

_INLINE = [
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])"), r"<em>\1</em>"),
]


def _inline(text: str) -> str:
    """Escape ``text`` and apply the inline markup (code spans first, so their content stays literal)."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        s = html.escape(part, quote=False)
        for pat, rep in _INLINE:
            s = pat.sub(rep, s)
        out.append(s)
    return "".join(out)


def _table(rows: list[str]) -> str:
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", r.strip().strip("|"))] for r in rows]
    head, body = cells[0], [c for c in cells[1:] if not all(re.fullmatch(r":?-+:?", x or "-") for x in c)]
    h = "".join(f"<th>{_inline(c)}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{_inline(c.replace(chr(92) + '|', '|'))}</td>" for c in r) + "</tr>"
                for r in body)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


def markdown_to_html(md: str) -> str:
    """Render the markdown subset written by the checks (see the module docstring) as escaped HTML."""
    lines = md.splitlines()
    out, para, i = [], [], 0

    def flush():
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            out.append(f"<pre>{html.escape(chr(10).join(lines[i + 1:j]))}</pre>")
            i = j + 1
            continue
        if not s:
            flush()
        elif m := re.match(r"(#{1,6})\s+(.*)", s):
            flush()
            k = min(len(m.group(1)) + 2, 6)
            out.append(f"<h{k}>{_inline(m.group(2))}</h{k}>")
        elif s.startswith("|"):
            flush()
            j = i
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            out.append(_table(lines[i:j]))
            i = j
            continue
        elif re.match(r"[*-]\s+", s):
            flush()
            items, j = [], i
            while j < len(lines) and lines[j].strip():
                t = lines[j].strip()
                if re.match(r"[*-]\s+", t):
                    items.append(t[2:].strip())
                elif items:
                    items[-1] += " " + t
                j += 1
            out.append("<ul>" + "".join(f"<li>{_inline(t)}</li>" for t in items) + "</ul>")
            i = j
            continue
        else:
            para.append(s)
        i += 1
    flush()
    return "\n".join(out)


def _verdict_class(verdict: str) -> str:
    return {"PASS": "pass", "FAIL": "fail", "UNEXPECTED PASS": "fail"}.get(verdict, "other")


def _figure(path) -> str:
    p = Path(path)
    try:
        data = base64.b64encode(p.read_bytes()).decode("ascii")
    except OSError as e:  # a figure that could not be read is reported, not silently dropped
        return f"<p><em>figure {html.escape(p.name)} could not be read: {html.escape(str(e))}</em></p>"
    mime = "image/svg+xml" if p.suffix == ".svg" else "image/png"
    alt = html.escape(p.stem)
    return f'<figure><img alt="{alt}" data-file="{html.escape(p.name)}" src="data:{mime};base64,{data}"></figure>'


def summary_html(res) -> str:
    rows = ['<table class="summary"><thead><tr><th>check</th><th>claim</th><th>quantity</th><th>predicted</th>'
            "<th>measured</th><th>tolerance</th><th>verdict</th></tr></thead><tbody>"]
    for co in res.checks:
        ms = co.evaluation.measurements if co.evaluation else []
        name = f'<a href="#check-{html.escape(co.name)}">{html.escape(co.name)}</a>'
        if not ms:
            rows.append(f'<tr class="{_verdict_class(co.verdict)}" data-check="{html.escape(co.name)}"><td>{name}</td>'
                        f"<td>{_inline(co.module.claim)}</td><td>–</td><td>–</td><td>–</td><td>–</td>"
                        f'<td class="verdict">{html.escape(co.verdict)}</td></tr>')
            continue
        for m in ms:
            v = m.verdict
            meas = fmt_num(m.measured)
            if m.uncertainty is not None and not isinstance(m.measured, str):
                meas += f" ± {fmt_num(m.uncertainty)}"
            rows.append(f'<tr class="{_verdict_class(v)}" data-check="{html.escape(co.name)}"><td>{name}</td>'
                        f"<td>{_inline(co.module.claim)}</td><td>{_inline(m.label)}</td>"
                        f"<td>{html.escape(fmt_num(m.predicted))}</td><td>{html.escape(meas)}</td>"
                        f"<td>{html.escape(str(m.tolerance))}</td><td class=\"verdict\">{v}</td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def render(res, header_md: str) -> str:
    """The whole page for a suite result ``res`` (see :mod:`paper_checks.runner`)."""
    body = [markdown_to_html(header_md), "<h2>Summary</h2>", summary_html(res)]
    for co in res.checks:
        cls = _verdict_class(co.verdict)
        body.append(f'<section id="check-{html.escape(co.name)}" data-check="{html.escape(co.name)}">')
        body.append(f'<h2>{html.escape(co.name)}: <span class="{cls}">{html.escape(co.verdict)}</span></h2>')
        body.append(f"<p><em>Claim.</em> {_inline(co.module.claim)}</p>")
        doc = (co.module.__doc__ or "").strip()
        if doc:
            body.append(markdown_to_html(doc))
        if co.evaluation:
            notes = [f"* {m.label}: **{m.verdict}** (declared known failure: {m.known_failure})"
                     for m in co.evaluation.measurements if m.known_failure]
            notes += [f"* {m.label}: {m.note}" for m in co.evaluation.measurements if m.note]
            if notes:
                body.append(markdown_to_html("\n".join(notes)))
            if co.evaluation.notes:
                body.append(markdown_to_html(co.evaluation.notes.strip()))
        if co.error:
            body.append(f"<pre>{html.escape(co.error.strip()[-3000:])}</pre>")
        body.extend(_figure(f) for f in co.figures)
        body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>paper_checks report ({html.escape(res.mode)} mode)</title><style>{_STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")


def figure_files(page: str) -> list[str]:
    """The file names of the figures embedded in a rendered page (for tests and tools)."""
    return re.findall(r'data-file="([^"]+)"', page)


__all__ = ["markdown_to_html", "render", "summary_html", "figure_files"]
