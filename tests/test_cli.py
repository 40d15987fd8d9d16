"""Tests for the ``spherekern predict`` command line (theory/cli.py)."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from theory.cli import main


def _table(out):
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("lazy", "rf", "feature"):
            rows[parts[0]] = (float(parts[1]), float(parts[2]))
    return rows


def _crossovers(out):
    return {line.split()[1]: float(line.split()[-1]) for line in out.splitlines() if line.startswith("crossover")}


def test_predict_prints_betas_and_crossover(capsys):
    assert main(["predict", "--d", "5", "--nu-t", "2.5"]) == 0
    out = capsys.readouterr().out
    rows = _table(out)
    # hand formulas: alpha = 2d, 2(d+2), d+2 ; beta = min(2 nu_t, alpha)/(d-1) = 5/4 for all three
    assert rows["lazy"] == (10.0, 1.25)
    assert rows["rf"] == (14.0, 1.25)
    assert rows["feature"] == (7.0, 1.25)
    assert _crossovers(out) == {"lazy": 3.5, "rf": 3.5}


def test_predict_constant_target_and_power(capsys):
    assert main(["predict", "--d", "3", "--nu-t", "inf"]) == 0
    rows = _table(capsys.readouterr().out)
    assert rows["lazy"][1] == pytest.approx(2 * 3 / 2)
    assert rows["feature"][1] == pytest.approx(5 / 2)
    assert rows["rf"][1] == pytest.approx(2 * 5 / 2)
    assert main(["predict", "--d", "2", "--nu-t", "inf", "--power", "2"]) == 0
    out = capsys.readouterr().out
    rows = _table(out)
    assert rows["lazy"] == (8.0, 8.0) and rows["feature"] == (6.0, 6.0)
    assert _crossovers(out)["lazy"] == 3.0
    assert main(["predict", "--d", "2", "--nu-t", "inf"]) == 0
    assert math.isinf(_crossovers(capsys.readouterr().out)["lazy"])


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_predict_plot_file(tmp_path, capsys, ext):
    f = tmp_path / f"curves.{ext}"
    assert main(["predict", "--d", "3", "--nu-t", "1.5", "--plot", str(f), "--n-max", "2000"]) == 0
    assert f.exists() and f.stat().st_size > 1000
    if ext == "png":
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written" in capsys.readouterr().out
    g = tmp_path / "const.png"
    assert main(["predict", "--d", "10", "--nu-t", "inf", "--plot", str(g)]) == 0
    assert g.stat().st_size > 1000


@pytest.mark.parametrize("argv,match", [
    (["predict", "--d", "1", "--nu-t", "1"], "d must be >= 2"),
    (["predict", "--d", "3", "--nu-t", "0"], "nu_t must be > 0"),
    (["predict", "--d", "3", "--nu-t", "-2"], "nu_t must be > 0"),
    (["predict", "--d", "3", "--nu-t", "nan"], "nu_t must not be NaN"),
    (["predict", "--d", "3", "--nu-t", "1", "--power", "0.25"], "power must be > 0.5"),
    (["predict", "--d", "3", "--nu-t", "1", "--plot", "x.png", "--n-min", "50", "--n-max", "10"], "n_min < n_max"),
])
def test_predict_bad_input(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err and match in err


def test_predict_argparse_errors(capsys):
    with pytest.raises(SystemExit) as e:
        main(["predict", "--d", "3", "--nu-t", "smooth"])
    assert e.value.code == 2
    assert "not a number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["predict", "--nu-t", "1"])          # --d is required
    with pytest.raises(SystemExit):
        main([])                                  # a subcommand is required


def test_module_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "theory.cli", "predict", "--d", "4", "--nu-t", "inf"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert _table(r.stdout)["feature"][1] == pytest.approx(6 / 3)
