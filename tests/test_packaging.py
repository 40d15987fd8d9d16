"""Packaging: one source of the version, py.typed shipped, CITATION.cff, and a wheel that works outside the repo.

The slow test builds a wheel from a copy of the source tree (``pip wheel --no-build-isolation``: the build uses the
test environment's setuptools, nothing is downloaded), installs it with ``--no-deps`` into a fresh virtual
environment in a temporary folder, and, from a working directory outside the repository, imports every public
module of the three packages and runs ``spherekern predict --help``. The fresh environment sees the test
environment's third-party packages through a ``.pth`` line (plain path: the ``.pth`` files there, such as the
editable install of this checkout, are not processed), so the imported ``spherekern`` is the wheel's.
"""
import pkgutil
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import spherekern

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("spherekern", "theory", "paper_checks")


def test_version_single_source_and_citation():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"], "the version lives only in spherekern/__init__.py"
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "spherekern.__version__"}
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["spherekern"]
    assert re.fullmatch(r"\d+\.\d+\.\d+(\S*)", spherekern.__version__)
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and str(cff["version"]) == spherekern.__version__
    paper = cff["preferred-citation"]
    assert [a["family-names"] for a in paper["authors"]] == ["Petrini", "Cagnetta", "Vanden-Eijnden", "Wyart"]
    assert paper["year"] == 2022 and "NeurIPS 2022" in paper["collection-title"]
    assert (ROOT / "spherekern" / "py.typed").is_file()


def _public_modules():
    names = []
    for pkg in PACKAGES:
        names.append(pkg)
        for info in pkgutil.walk_packages([str(ROOT / pkg)], prefix=pkg + "."):
            if not any(part.startswith("_") for part in info.name.split(".")[1:]):
                names.append(info.name)
    return names


def _copy_source(dst: Path):
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc", "*.nbi", "*.nbc")
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=ignore)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / f, dst / f)


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_repository(tmp_path):
    try:                                    # setuptools >= 70.1 has bdist_wheel, older ones need `wheel`
        import setuptools.command.bdist_wheel  # noqa: F401
    except ImportError:
        pytest.importorskip("wheel", reason="building a wheel with this setuptools needs the `wheel` package")
    src = tmp_path / "src"
    _copy_source(src)
    dist = tmp_path / "dist"
    run = dict(capture_output=True, text=True, timeout=600)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-w", str(dist), str(src)], **run)
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(dist.glob("spherekern-*.whl"))
    assert len(wheels) == 1 and f"spherekern-{spherekern.__version__}-" in wheels[0].name
    with zipfile.ZipFile(wheels[0]) as zf:
        members = set(zf.namelist())
    assert "spherekern/py.typed" in members and "spherekern/datasets.py" in members

    # the sdist through the same backend (PEP 517 hook)
    r = subprocess.run([sys.executable, "-c", "import sys, setuptools.build_meta as b; "
                        "print(b.build_sdist(sys.argv[1]))", str(dist)], cwd=src, **run)
    assert r.returncode == 0, r.stdout + r.stderr
    with tarfile.open(dist / r.stdout.strip().splitlines()[-1]) as tf:
        names = tf.getnames()
    assert any(n.endswith("spherekern/py.typed") for n in names)
    assert any(n.endswith("/pyproject.toml") for n in names)

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, **run)
    py = env / "bin" / "python"
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                        "--quiet", str(wheels[0])], **run)
    assert r.returncode == 0, r.stdout + r.stderr
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, **run).stdout.strip()
    (Path(site) / "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    script = textwrap.dedent(f"""
        import importlib, sys
        import spherekern
        assert spherekern.__file__.startswith({str(env)!r}), spherekern.__file__
        assert spherekern.__version__ == {spherekern.__version__!r}
        for name in {_public_modules()!r}:
            mod = importlib.import_module(name)
            assert mod.__file__.startswith({str(env)!r}), (name, mod.__file__)
        print("imported", len({_public_modules()!r}))
    """)
    r = subprocess.run([str(py), "-c", script], cwd=work, **run)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([str(env / "bin" / "spherekern"), "predict", "--help"], cwd=work, **run)
    assert r.returncode == 0 and "usage" in r.stdout.lower(), r.stdout + r.stderr
    r = subprocess.run([str(env / "bin" / "spherekern"), "--version"], cwd=work, **run)
    assert r.returncode == 0 and r.stdout.strip() == f"spherekern {spherekern.__version__}", r.stdout + r.stderr
