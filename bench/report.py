"""Build bench/RESULTS.md (a table of ratios) from a pytest-benchmark JSON file.

Usage: ``python -m bench.report [bench/.last.json] [--out bench/RESULTS.md]``

For each group (hot path) it takes the median time of ``test_<group>__project`` and of every
``test_<group>__<baseline>``; when ``extra_info["entries"]`` is set the comparison is per entry
(ns/entry), so a slow baseline may be run on a smaller size than the project. It writes:
speed-up = baseline / project (higher is better for the project), and project / floor for the
``__floor`` baseline (the same loops doing only the dot products / memory traffic).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
from collections import defaultdict


def machine_description() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    vers = []
    for mod in ("numpy", "numba", "scipy", "sklearn"):
        try:
            vers.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    return f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}; " + ", ".join(vers)


def _fmt_time(s: float) -> str:
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _load(json_path: str) -> dict:
    with open(json_path) as fh:
        return json.load(fh)


def _when_and_machine(data: dict) -> tuple[str, str]:
    """Date of the run and the machine recorded in the JSON (bench/conftest.py), else today / this machine."""
    when = data.get("datetime", "")[:10] or _dt.date.today().isoformat()
    return when, data.get("machine_info", {}).get("spherekern") or machine_description()


def build(data) -> tuple[str, list[dict]]:
    """Markdown table and rows from a pytest-benchmark JSON (a path or the parsed dict)."""
    if isinstance(data, str):
        data = _load(data)
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for b in data["benchmarks"]:
        name = b["name"].split("[")[0]
        if "__" not in name:
            continue
        role = name.rsplit("__", 1)[1]
        param = b["name"][len(name):]
        # a benchmark that names its group (e.g. "atomic_n256_d3") already says its size; otherwise the parameter id
        # keeps the sizes of one test function apart
        group = b.get("group") or (name.rsplit("__", 1)[0] + param)
        entries = b.get("extra_info", {}).get("entries")
        med = b["stats"]["median"]
        groups[group][role] = dict(median=med, entries=entries, rounds=b["stats"]["rounds"],
                                   per_entry=(med / entries if entries else None))
    rows = []
    lines = ["| hot path | project median | ns/entry | baseline | baseline median | ratio |",
             "|---|---|---|---|---|---|"]
    for group in sorted(groups):
        g = groups[group]
        p = g.get("project")
        if p is None:
            continue
        ns = f"{p['per_entry'] * 1e9:.3g}" if p["per_entry"] else "–"
        others = [r for r in g if r != "project"] or [None]
        for i, role in enumerate(sorted(others, key=lambda r: (r != "floor", r or ""))):
            lead = f"| {group} | {_fmt_time(p['median'])} | {ns} " if i == 0 else "| | | "
            if role is None:
                lines.append(lead + "| – | – | – |")
                continue
            o = g[role]
            if p["per_entry"] and o["per_entry"]:
                a, b = p["per_entry"], o["per_entry"]
            else:
                a, b = p["median"], o["median"]
            if role == "floor":
                ratio = f"project/floor = **{a / b:.2f}x**"
            else:
                ratio = f"speed-up = **{b / a:.1f}x**"
            lines.append(lead + f"| {role} | {_fmt_time(o['median'])} | {ratio} |")
            rows.append(dict(group=group, baseline=role, project_s=p["median"], baseline_s=o["median"],
                             ratio=(a / b if role == "floor" else b / a)))
    return "\n".join(lines), rows


def _gpu_section(path: str) -> str:
    data = _load(path)
    when, machine = _when_and_machine(data)
    table, _ = build(data)
    return ("\n## CUDA twins on a GPU machine\n\n"
            f"Measured on {when} with `pytest bench -k cuda_` (bench/bench_cuda.py), JSON in `{path}`.\n\n"
            f"Machine: {machine}.\n\n"
            "Same conventions as above; here `speed-up` against `cpu` compares the GPU with the parallel numba "
            "CPU kernel *of that machine*, and `cupy` is the closed form written with CuPy on the same GPU.\n\n"
            + table + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="?", default="bench/.last.json")
    ap.add_argument("--out", default="bench/RESULTS.md")
    ap.add_argument("--gpu", default="bench/gpu.json",
                    help="JSON of the CUDA groups (bench/bench_cuda.py) taken on a GPU machine; its own section")
    args = ap.parse_args(argv)
    data = _load(args.json)
    table, _ = build(data)
    when, machine = _when_and_machine(data)
    text = (f"# Benchmark results\n\nGenerated by `make bench` (`python -m bench.report`); measured on "
            f"{when}.\n\nMachine: {machine}.\n\n"
            "Medians over repeated rounds after a JIT warm-up (pytest-benchmark). `speed-up` = baseline time / "
            "project time (per entry when sizes differ); `project/floor` = project time / the same loops doing only "
            "the dot products or memory traffic. Shared machines: read the ratios, not the absolute times.\n\n"
            + table + "\n")
    if args.gpu and os.path.exists(args.gpu):
        text += _gpu_section(args.gpu)
    extra = os.path.join(os.path.dirname(args.out), "NOTES.md")
    if os.path.exists(extra):
        with open(extra) as fh:
            text += "\n" + fh.read()
    with open(args.out, "w") as fh:
        fh.write(text)
    print(table)


if __name__ == "__main__":
    main()
