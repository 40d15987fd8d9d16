"""report.html: one self-contained page, parsed with the standard library's HTML parser (every check, every
figure embedded as data, the summary rows coloured by verdict, nothing loaded from elsewhere)."""
import base64
from html.parser import HTMLParser

from paper_checks.cli import main
from paper_checks.report_html import markdown_to_html
from test_paper_checks_cli import dummy_env  # noqa: F401  (the fixture with the test-only checks)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.sections, self.rows, self.external, self.stack = [], [], [], [], []
        self._row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if tag == "img":
            self.imgs.append(a)
        if tag in ("script", "link", "iframe"):
            self.external.append((tag, a))
        if tag == "section":
            self.sections.append(a.get("data-check"))
        if tag == "tr" and "data-check" in a:
            self._row = [a["data-check"], a.get("class"), ""]
            self.rows.append(self._row)
        if tag == "td" and self._row is not None and a.get("class") == "verdict":
            self._row[2] = None

    def handle_data(self, data):
        if self._row is not None and self._row[2] is None:
            self._row[2] = data.strip()

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()


def _parse(path):
    page = _Page()
    page.feed(path.read_text())
    page.close()
    return page


def test_report_html_self_contained(dummy_env, monkeypatch):  # noqa: F811
    out = dummy_env / "o"
    assert main(["--only", "dummy_pc,other_pc", "--out", str(out), "--no-progress"]) == 0
    page = _parse(out / "report.html")
    assert page.sections == ["dummy_pc", "other_pc"]
    assert not page.external  # no scripts, stylesheets or frames from elsewhere
    # the dummy check's one figure is embedded, and it is the PNG file the suite wrote
    assert [i.get("data-file") for i in page.imgs] == ["dummy.png"]
    src = page.imgs[0]["src"]
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == (out / "figures" / "dummy.png").read_bytes()
    assert {(c, cls, v) for c, cls, v in page.rows} == {("dummy_pc", "pass", "PASS"), ("other_pc", "pass", "PASS")}
    # a failing verdict is coloured as such
    monkeypatch.setenv("DUMMY_FAIL", "verdict")
    assert main(["--only", "dummy_pc,other_pc", "--out", str(out), "--no-progress"]) == 1
    rows = {c: (cls, v) for c, cls, v in _parse(out / "report.html").rows}
    assert rows == {"dummy_pc": ("fail", "FAIL"), "other_pc": ("pass", "PASS")}


def test_known_failure_rows(dummy_env, monkeypatch):  # noqa: F811
    """A declared known failure that fails: KNOWN FAIL, the suite passes (exit 0), the reports say so; one that
    passes: UNEXPECTED PASS, the suite fails (exit 1: the declaration is out of date)."""
    import json
    out = dummy_env / "k"
    monkeypatch.setenv("OTHER_KNOWN", "fail")
    assert main(["--only", "other_pc", "--out", str(out), "--no-progress"]) == 0
    assert [(c, cls, v) for c, cls, v in _parse(out / "report.html").rows] == [
        ("other_pc", "pass", "PASS"), ("other_pc", "other", "KNOWN FAIL")]
    md = (out / "report.md").read_text()
    assert "**1/1 checks pass** (1 row a declared known failure" in md
    assert "**other_pc** (PASS, 1 known failure)" in md and "| KNOWN FAIL |" in md
    assert "w: **KNOWN FAIL** (declared known failure: documented)" in md
    rows = json.loads((out / "results.json").read_text())["checks"]["other_pc"]["measurements"]
    assert [(r["verdict"], r["known_failure"]) for r in rows] == [("PASS", ""), ("KNOWN FAIL", "documented")]
    monkeypatch.setenv("OTHER_KNOWN", "pass")
    assert main(["--only", "other_pc", "--out", str(out), "--no-progress"]) == 1
    assert [(cls, v) for _, cls, v in _parse(out / "report.html").rows] == [("pass", "PASS"),
                                                                           ("fail", "UNEXPECTED PASS")]
    assert "| **UNEXPECTED PASS** |" in (out / "report.md").read_text()


def test_markdown_subset_escapes_html():
    md = "# Title\n\nSome `a<b>` and **bold** <script>x</script>.\n\n* one\n  two\n* three\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    h = markdown_to_html(md)
    assert "<script>" not in h and "&lt;script&gt;" in h
    assert "<code>a&lt;b&gt;</code>" in h and "<strong>bold</strong>" in h
    assert "<ul><li>one two</li><li>three</li></ul>" in h
    assert "<th>a</th><th>b</th>" in h and "<td>1</td><td>2</td>" in h
