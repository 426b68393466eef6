"""`planner review` (offline HTML, checks before any kernel) and `planner workbook` (never the stored notebook)."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

ORIGIN = ROOT / "data" / "plans" / "origin-case.toml"


def planner(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd)


def test_review_writes_offline_html_and_prints_one_line(tmp_path):
    out = planner("review", str(ORIGIN), "-o", str(tmp_path / "r.html"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"wrote {tmp_path / 'r.html'}\n" and out.stderr == ""   # no kernel TCP warning
    html = (tmp_path / "r.html").read_text()
    assert "<title>Plan review: Origin case: 494M parameters on 22M tokens</title>" in html
    assert not re.search(r"<script[^>]+src=", html)                    # no require.js / MathJax / CDN
    assert "data/plans/origin-case.toml" in html and re.search(r"planner \d+\.\d+\.\d+ · \d{4}-\d{2}-\d{2}", html)
    assert "SEVERE — blocked: D/N 0.045" in html and "(blocked)" not in html
    img = re.search(r"<img [^>]+>", html).group(0)
    assert "data:image/png;base64," in img
    assert 'alt="Left: judged D/N (D\'/N, on effective tokens) against training steps for Origin case' in img
    # memory per GPU (the plan's [parallelism]: one A100 80GB, bf16-mixed AdamW, ZeRO 0): 2 bytes of weights
    # per parameter, 494,032,768 × 2 / 2^30 = 0.92 GiB, and the bar with the 80 GiB capacity line
    assert "Memory per GPU" in html and 'data-fits="fits"' in html and "capacity: 80.00 GiB" in html
    assert "0.92 GiB" in html and "micro-batch 4 × seq-len 2,048; TP 1, PP 1, DP 1" in html
    # below compute-optimal: the advisor's options, train longer among them
    assert '<table class="planner-advice">' in html and "What would fix it" in html
    assert re.search(r"<td>[^<]*train longer[^<]*</td>", html, re.I)


def test_review_refuses_to_overwrite_the_default_output(tmp_path):
    (tmp_path / "report.html").write_text("keep me")
    t = time.monotonic()
    out = planner("review", str(ORIGIN), cwd=tmp_path)
    assert out.returncode == 2 and "exists" in out.stderr and "--force" in out.stderr
    assert (tmp_path / "report.html").read_text() == "keep me" and time.monotonic() - t < 5  # no kernel started


@pytest.mark.parametrize("output, words", [("nodir/r.html", "does not exist"), ("r.txt", ".html"), (".", ".html")])
def test_review_checks_the_output_path_first(tmp_path, output, words):
    t = time.monotonic()
    out = planner("review", str(ORIGIN), "-o", output, cwd=tmp_path)
    assert out.returncode == 2 and words in out.stderr and len(out.stderr.splitlines()) == 1
    assert time.monotonic() - t < 5


def test_review_refuses_a_plan_as_report_does(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\ncatalog = 'gpt2'\n[training]\nsteps = -1\ntokens_per_step = 1\n")
    review = planner("review", str(bad), "-o", str(tmp_path / "r.html"))
    report = planner("report", str(bad))
    assert review.returncode == report.returncode == 2
    assert review.stderr == report.stderr and "plan.training.steps" in review.stderr
    assert not (tmp_path / "r.html").exists()


def test_readme_launch_command_opens_a_working_copy(tmp_path):
    readme = (ROOT / "README.md").read_text()
    launch = re.search(r"```bash\n# 1\..*\n(.*)\n", readme).group(1)
    assert launch.endswith("planner workbook")
    out = planner("workbook", "--dry-run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    cmd = out.stdout
    assert str(tmp_path / "planner-workbook" / "what_if.ipynb") in cmd and "notebooks/what_if.ipynb" not in cmd
    assert "--MappingKernelManager.cull_idle_timeout=600" in cmd
    assert not (tmp_path / "planner-workbook").exists()          # a dry run makes nothing
    from planner.cli.jupyter import working_copy
    copy = working_copy(tmp_path / "planner-workbook")            # what the real launch makes
    assert copy.read_bytes() == (ROOT / "notebooks" / "what_if.ipynb").read_bytes()
    app = planner("workbook", "--app", "--dry-run", cwd=tmp_path).stdout
    assert app.startswith("JUPYTER_PATH=") and " voila " in app and "cull_idle_timeout" in app
    # the planner's template (no CDN requests), found in the package through JUPYTER_PATH
    template = re.match(r"JUPYTER_PATH=(\S+) ", app).group(1)
    assert "--template=planner" in app and (Path(template) / "voila/templates/planner/index.html.j2").is_file()


def test_the_card_and_the_review_heading_explain_the_verdict():
    import html as html_lib

    import planner
    from planner.surfaces.report import card_html
    from planner.surfaces.review import header_html

    a = planner.assess_plan(planner.load_plan(ORIGIN))
    # D/N by hand: 2,700 steps × 4 × 2,048 tokens / 494,032,768 parameters = 0.0448 (severe: below 5×)
    assert f"{2700 * 4 * 2048 / 494_032_768:.2g}" == "0.045"
    for page in (card_html(a), header_html(a, ORIGIN)):
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
        assert "SEVERE — blocked: D/N 0.045" in text
        assert "far too few tokens per parameter; the model will memorise, not generalise" in text
