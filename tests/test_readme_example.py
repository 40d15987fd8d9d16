"""The README's Python example runs as written (it is read from README.md, not copied), and what it prints
is right: the lazy predictor interpolates, the atomic one has at most n certified atoms, GD decreases the loss."""
import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_python_example_runs(capsys):
    blocks = _python_blocks()
    assert blocks, "README.md has no ```python example"
    ns = {"__name__": "readme_example"}
    exec(compile(blocks[0], str(README), "exec"), ns)
    out = capsys.readouterr().out
    assert "NTK decay exponent" in out and "feature test MSE" in out
    X, y, n = ns["X"], ns["y"], ns["n"]
    lazy, feat, hist = ns["lazy"], ns["feat"], ns["hist"]
    scale = np.max(np.abs(y))
    assert np.max(np.abs(lazy.predict(X) - y)) <= 1e-6 * scale          # an interpolant
    assert np.max(np.abs(feat.predict(X) - y)) <= 1e-6 * scale
    assert 1 <= feat.n_atoms <= n and feat.converged and abs(feat.certificate - 1) <= 1e-6
    assert hist.loss[-1] < 0.01 * hist.loss[0]
