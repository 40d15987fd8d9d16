"""The unified ``spherekern`` command (spherekern/cli.py): each subcommand gives the same result as the tool
it wraps, called directly; usage errors exit 2 with one line."""
import subprocess
import sys

import spherekern
from spherekern.cli import main
from test_paper_checks_cli import _runs, dummy_env  # noqa: F401


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"spherekern {spherekern.__version__}"
    r = subprocess.run([sys.executable, "-m", "spherekern.cli", "-V"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"spherekern {spherekern.__version__}"


def test_predict_same_as_theory_cli(capsys):
    from theory.cli import main as theory_main
    assert theory_main(["predict", "--d", "4", "--nu-t", "1.5"]) == 0
    direct = capsys.readouterr().out
    assert main(["predict", "--d", "4", "--nu-t", "1.5"]) == 0
    assert capsys.readouterr().out == direct
    assert main(["predict", "--d", "1", "--nu-t", "1.5"]) == 2  # d >= 2, reported by the tool


def test_check_same_as_paper_checks(dummy_env, capsys):  # noqa: F811
    from paper_checks.cli import main as pc_main
    a, b = dummy_env / "a", dummy_env / "b"
    assert pc_main(["--only", "other_pc", "--out", str(a), "--no-progress"]) == 0
    assert main(["check", "--only", "other_pc", "--out", str(b), "--no-progress"]) == 0
    assert _runs(a)[0] == _runs(b)[0]
    assert main(["check", "--only", "nope"]) == 2


def test_usage_errors(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err
    assert main(["predict", "--bogus"]) == 2
    assert main(["bench", "--help"]) == 0
    assert "pytest-benchmark" in capsys.readouterr().out
