"""report.md (summary table, then a section per check with its figures), report.html (the same as one self-contained page, see :mod:`paper_checks.report_html`) and results.json (every raw point)."""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

from .api import fmt_num, jsonable


def _atomic_write(path: Path, text: str):
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _measured(m) -> str:
    s = fmt_num(m.measured)
    if m.uncertainty is not None and not isinstance(m.measured, str):
        s += f" ± {fmt_num(m.uncertainty)}"
    return s


def results_dict(res) -> dict:
    checks = {}
    for co in res.checks:
        ev = co.evaluation
        checks[co.name] = {
            "claim": co.module.claim,
            "version": getattr(co.module, "version", "0"),
            "verdict": co.verdict,
            "error": co.error,
            "measurements": [m.as_dict() for m in ev.measurements] if ev else [],
            "notes": ev.notes if ev else "",
            "extra": jsonable(ev.extra) if ev else {},
            "figures": [os.path.relpath(f, res.out) for f in co.figures],
            "runs": [{"params": r.params, "result": r.result, "elapsed": r.elapsed, "cached": r.cached}
                     for r in co.runs],
            "failures": [{"params": p, "error": e} for p, e in co.failures],
        }
    return {"meta": {"mode": res.mode, "seed": res.base_seed, "wall_s": res.wall, "computed": res.n_computed,
                     "cached": res.n_cached, "failed": getattr(res, "n_failed", 0), "jobs": res.jobs, "executor": res.executor,
                     "passed": res.passed, "python": platform.python_version(),
                     "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M:%S")},
            "checks": checks}


def _check_verdict(co) -> str:
    """A check's verdict, with its count of declared known failures (rows that failed as documented)."""
    k = co.evaluation.known_failures if co.evaluation else 0
    return co.verdict + (f", {k} known failure{'s' if k > 1 else ''}" if k else "")


def summary_table(res) -> str:
    lines = ["| check | claim | quantity | predicted | measured | tolerance | verdict |",
             "|---|---|---|---|---|---|---|"]
    for co in res.checks:
        ms = co.evaluation.measurements if co.evaluation else []
        if not ms:
            lines.append(f"| {co.name} | {_cell(co.module.claim)} | – | – | – | – | **{co.verdict}** |")
            continue
        for j, m in enumerate(ms):
            name = f"**{co.name}** ({_check_verdict(co)})" if j == 0 else ""
            claim = _cell(co.module.claim) if j == 0 else ""
            v = m.verdict if m.ok else f"**{m.verdict}**"
            lines.append(f"| {name} | {claim} | {_cell(m.label)} | {_cell(fmt_num(m.predicted))} | "
                         f"{_cell(_measured(m))} | {_cell(m.tolerance)} | {v} |")
    return "\n".join(lines)


def time_table(res) -> str:
    """Runs and compute seconds per check: the sum of the runs' elapsed times (each run is single-threaded, so
    this is about its CPU time; a cached run counts with the time it took when it was computed). A run shared by
    several checks (the sphere checks read each other's learning curves) counts in each of them, and once in
    the last row."""
    lines = ["| check | runs | computed now | compute s (sum over runs) | slowest run s |", "|---|---|---|---|---|"]
    unique = {}
    for co in res.checks:
        el = [r.elapsed for r in co.runs]
        fresh = sum(not r.cached for r in co.runs)
        lines.append(f"| {co.name} | {len(co.runs)} | {fresh} | {sum(el):.0f} | {max(el, default=0.0):.1f} |")
        for r in co.runs:
            unique[json.dumps(r.params, sort_keys=True, default=str)] = r
    tot = sum(r.elapsed for r in unique.values())
    lines.append(f"| all (distinct runs) | {len(unique)} | {sum(not r.cached for r in unique.values())} | "
                 f"{tot:.0f} | |")
    return "\n".join(lines)


def write_report(res):
    out = Path(res.out)
    n_pass = sum(co.verdict == "PASS" for co in res.checks)
    n_known = sum(co.evaluation.known_failures for co in res.checks if co.evaluation)
    md = [f"# paper_checks report ({res.mode} mode)", "",
          "Petrini, Cagnetta, Vanden-Eijnden & Wyart (NeurIPS 2022), *Learning sparse features can lead to "
          "overfitting in neural networks* (regression on the sphere, images), and Boursier & Flammarion (2024), "
          "*Simplicity bias and optimization threshold in two-layer ReLU networks* (early alignment): each claim, "
          "the theory's prediction (from `theory/`), what the "
          "simulations measured (± one bootstrap standard deviation over seeds) and the verdict.", "",
          f"**{n_pass}/{len(res.checks)} checks pass**"
          + (f" ({n_known} row{'s' if n_known > 1 else ''} a declared known failure of the claim, which failed as "
             "documented: verdict KNOWN FAIL, the reason in the check's section)" if n_known else "")
          + f". Mode `{res.mode}`, `--seed {res.base_seed}`, {res.n_computed} runs computed and {res.n_cached} read from the cache, executor {res.executor} "
          f"(jobs={res.jobs}), wall time {res.wall:.0f} s.", "",
          "Exponents: `beta` in eps(n) ~ A n^(-beta), fitted by least squares on log(mean error over seeds) vs "
          "log n over the upper half of the n range on the log scale; uncertainty by bootstrap over seeds.", "",
          "## Summary", "", summary_table(res), "", "## Time per check", "", time_table(res), ""]
    for co in res.checks:
        md += [f"## {co.name}: {_check_verdict(co)}", "", f"*Claim.* {co.module.claim}", ""]
        doc = (co.module.__doc__ or "").strip()
        if doc:
            md += [doc, ""]
        if co.evaluation:
            for m in co.evaluation.measurements:
                if m.known_failure:
                    md.append(f"* {m.label}: **{m.verdict}** (declared known failure: {m.known_failure})")
                if m.note:
                    md.append(f"* {m.label}: {m.note}")
            md.append("")
            if co.evaluation.notes:
                md += [co.evaluation.notes.strip(), ""]
        if co.error:
            md += ["```", co.error.strip()[-3000:], "```", ""]
        for f in co.figures:
            rel = os.path.relpath(f, out)
            md += [f"![{co.name}]({rel})", ""]
    _atomic_write(out / "report.md", "\n".join(md))
    from .report_html import render
    _atomic_write(out / "report.html", render(res, "\n".join(md[:md.index("## Summary")])))
    _atomic_write(out / "results.json", json.dumps(results_dict(res), indent=1, allow_nan=True))
