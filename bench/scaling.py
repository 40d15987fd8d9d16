"""Scaling of the hot paths with n (issue 6, point 4): wall time and peak memory.

``python -m bench.scaling [--atomic-max 256]`` runs each size in a fresh subprocess (so the peak resident
memory, ``ru_maxrss``, is that of one size) after a JIT warm-up in that process, and prints a Markdown table and
the least-squares exponent of time vs n over the largest sizes.

* ``gram``: ``NTK().gram(X, out=G)``, d = 5, n = m.
* ``min_norm``: ``min_norm(NTK(), X, y)``, d = 5 (Gram + in-place Cholesky + solve).
* ``atomic``: ``atomic(X, y, method="ipm", tol=1e-4)`` (``--atomic-method simplex``: ``atomic(X, y)``) with
  lam = 0, d = 3, y = a |t| teacher (width 10^4) — expensive: capped by ``--atomic-max``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from spherekern import sphere
what, n, method = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if what == "gram":
    from spherekern.kernels import NTK
    X = sphere.uniform(n, 5, rng=0); G = np.empty((n, n)); NTK().gram(X[:8])
    t0 = time.perf_counter(); NTK().gram(X, out=G); t = time.perf_counter() - t0
elif what == "min_norm":
    from spherekern.kernels import NTK
    from spherekern.solvers import min_norm
    X = sphere.uniform(n, 5, rng=0); y = np.random.default_rng(1).standard_normal(n)
    min_norm(NTK(), X[:16], y[:16])
    t0 = time.perf_counter(); min_norm(NTK(), X, y); t = time.perf_counter() - t0
else:
    from spherekern.solvers import atomic
    from spherekern.targets import Teacher
    X = sphere.uniform(n, 3, rng=0); y = Teacher(3, "abs", power=1, width=10_000, seed=2)(X)
    kw = dict(method="ipm", tol=1e-4) if method == "ipm" else {}
    atomic(X[:16], y[:16], **kw)
    t0 = time.perf_counter(); atomic(X, y, **kw); t = time.perf_counter() - t0
print(json.dumps(dict(t=t, rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)))
"""


def measure(what: str, ns, method: str = "ipm") -> list[dict]:
    rows = []
    for n in ns:
        out = subprocess.run([sys.executable, "-c", _CHILD, what, str(n), method], capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        rows.append(dict(what=what, n=n, **r))
        print(f"{what:9s} n = {n:5d}: {r['t']:.4f} s, peak RSS {r['rss'] / 2**20:.0f} MiB", file=sys.stderr, flush=True)
    return rows


def exponent(rows, last=4) -> float:
    n = np.log([r["n"] for r in rows][-last:])
    t = np.log([r["t"] for r in rows][-last:])
    return float(np.polyfit(n, t, 1)[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--atomic-max", type=int, default=1024)
    ap.add_argument("--atomic-method", choices=("ipm", "simplex"), default="ipm",
                    help="ipm: method='ipm', tol=1e-4 (what paper_checks uses); simplex: the default atomic()")
    args = ap.parse_args(argv)
    big = [2 ** k for k in range(8, 14)]
    res = {"gram": measure("gram", big), "min_norm": measure("min_norm", big)}
    res["atomic"] = measure("atomic", [2 ** k for k in range(6, 11) if 2 ** k <= args.atomic_max], args.atomic_method)
    print("| hot path | n | time | peak RSS |\n|---|---|---|---|")
    for what, rows in res.items():
        for r in rows:
            print(f"| {what} | {r['n']} | {r['t']:.4g} s | {r['rss'] / 2**20:.0f} MiB |")
    for what, rows in res.items():
        if len(rows) >= 3:
            print(f"{what}: fitted exponent of time vs n over n = {rows[-min(4, len(rows))]['n']}..{rows[-1]['n']}: "
                  f"{exponent(rows, min(4, len(rows))):.2f}")


if __name__ == "__main__":
    main()
