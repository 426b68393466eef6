"""Shared by ``tests/test_browser.py`` and ``benchmarks/browser_latency.py``: servers, Chromium, the workbook's DOM.

Follows the recipe in NOTEBOOK-TESTING.md: servers on a free port in their own session (stopped with
``os.killpg``), Voila probed on its favicon (a GET of ``/`` would start a kernel), Debian's Chromium
through Playwright with no download, every request that leaves 127.0.0.1 aborted (offline machine).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "what_if.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAB_PROBE = "/api/status"
MODEL = "qwen2.5-0.5b"          # what the workbook opens on
INSTALL_HINT = ("apt-get update && apt-get install -y chromium (Debian's build at /usr/bin/chromium) and "
                "python -m pip install -e '.[test]' (playwright, voila); never `playwright install`")


# ---- prerequisites ----------------------------------------------------------------------------

def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks (empty when everything is there)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright Python package")
    if shutil.which("voila") is None:
        missing.append("voila")
    return missing


# ---- servers ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A server process in its own session; ``stop()`` ends it and its kernels."""
    proc: subprocess.Popen
    url: str
    log: Path

    def wait_ready(self, probe: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + probe, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.url}{probe} not ready after {timeout:.0f} s; log:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def _start(cmd: list[str], cwd: Path, port: int, log: Path, env: dict | None = None) -> Server:
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return Server(proc, f"http://127.0.0.1:{port}", log)


def start_voila(workdir: Path, notebook: Path = NOTEBOOK) -> Server:
    """Copy ``notebook`` into ``workdir`` and serve the copy with Voila (stored outputs never rewritten)."""
    shutil.copy(notebook, workdir / notebook.name)
    port = free_port()
    server = _start(["voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", notebook.name],
                    workdir, port, workdir / "voila.log")
    try:
        server.wait_ready("/voila/static/favicon.ico")
    except BaseException:
        server.stop()
        raise
    server.url += "/"
    return server


def start_lab(workdir: Path, notebook: Path = NOTEBOOK) -> Server:
    """Copy ``notebook`` into ``workdir/root`` and serve it with JupyterLab, token-less, with settings and
    workspaces kept in ``workdir`` (no state from earlier sessions, no news pop-up)."""
    root = workdir / "root"  # the log, settings and workspaces stay out of Lab's file browser
    root.mkdir(exist_ok=True)
    shutil.copy(notebook, root / notebook.name)
    settings = workdir / ".lab-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(workdir / ".lab-ws"))
    port = free_port()
    server = _start(["jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                     "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}"],
                    root, port, workdir / "lab.log", env)
    try:
        server.wait_ready(LAB_PROBE)
    except BaseException:
        server.stop()
        raise
    return server


# ---- the browser ------------------------------------------------------------------------------

def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_offline_page(browser, allowed_prefix: str = "http://127.0.0.1:", viewport=(1400, 1200)):
    """A page whose requests outside ``allowed_prefix`` (fonts, CDNs) are aborted at once."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    local = (allowed_prefix, "data:", "blob:")

    def route(r):
        if r.request.url.startswith(local):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    return page


# ---- the workbook in the page -----------------------------------------------------------------

def slider(page, name: str):
    """The slider whose ``label.widget-label`` reads exactly ``name``."""
    label = page.locator("label.widget-label", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
    return page.locator(".widget-slider").filter(has=label).first


def slider_value(page, name: str) -> float:
    """The number a slider's readout shows (``2,754`` → 2754.0)."""
    return float(slider(page, name).locator(".widget-readout").inner_text().replace(",", "").strip())


def press(page, name: str, key: str, times: int = 1) -> None:
    """Focus the slider's noUi handle and press ``key`` ``times`` times."""
    handle = slider(page, name).locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        page.keyboard.press(key)


def type_value(page, name: str, value) -> None:
    """Type ``value`` into the slider's readout (select all, type, Enter), as a person would."""
    readout = slider(page, name).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")


# The readout's banner (the verdict's headline): "SEVERE — blocked: D/N 0.045 — far too few …"
_BANNER_JS = r"""() => {
  const ro = document.querySelector('.widget-html');
  const img = document.querySelector('img.widget-image');
  const text = ro ? ro.innerText : '';
  const m = text.match(/^\s*([A-Z][A-Z -]*?)( — blocked| — may launch)?: D'?\/N ([0-9.,]+)/);
  return {text: text.slice(0, 400), level: m ? m[1] : null, blocked: m ? (m[2] === ' — blocked' || m[1] === 'BLOCKED') : null,
          ratio: m ? m[3] : null, src: img ? img.src : null, imgWidth: img ? img.naturalWidth : 0};
}"""


def state(page) -> dict:
    """The readout's level, BLOCKED flag and D/N text, and the chart's ``src``, as the page shows them."""
    return page.evaluate(_BANNER_JS)


def image_digest(page) -> str | None:
    """SHA-256 of the chart's PNG bytes as the page holds them."""
    return page.evaluate("""async () => {
      const img = document.querySelector('img.widget-image');
      if (!img || !img.src) return null;
      const buf = await (await fetch(img.src)).arrayBuffer();
      const h = await crypto.subtle.digest('SHA-256', buf);
      return Array.from(new Uint8Array(h)).map(b => b.toString(16).padStart(2, '0')).join('');
    }""")


def settle(page, quiet: float = 0.3, timeout: float = 15.0) -> dict:
    """Wait until the readout and the chart have not changed for ``quiet`` seconds (updates drained)."""
    deadline = time.monotonic() + timeout
    last, since = state(page), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = state(page)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise TimeoutError(f"the workbook kept changing for {timeout:.0f} s: {last}")


def page_settings(page) -> dict:
    """The sliders that make D and N, read from their readouts."""
    names = {"layers": "layers", "steps": "steps", "batch": "batch", "grad_accum": "grad accum",
             "data_parallel": "data parallel", "seq_len": "seq len"}
    return {key: int(round(slider_value(page, label))) for key, label in names.items()}


def expected(settings: dict) -> dict:
    """What planner says for these settings: the readout's level, BLOCKED flag and D/N text."""
    import planner
    from planner.format import fmt_ratio

    arch = planner.architecture(MODEL).with_(num_layers=settings["layers"])
    n = planner.count_params(arch).total
    d = (settings["steps"] * settings["batch"] * settings["grad_accum"] * settings["data_parallel"]
         * settings["seq_len"])
    r = planner.assess(n, d, unique_tokens=1.24e9)  # the workbook opens on the origin case's corpus
    level = planner.verdict.policy.PHRASES[r.level].split(" — ")[0]
    return {"level": level, "blocked": r.blocked, "ratio": fmt_ratio(r.ratio), "params": n, "tokens": d}


def wait_for_update(page, want: dict, old_src: str | None, timeout: float = 20.0) -> dict:
    """Wait until the readout shows ``want`` and the chart's ``src`` is no longer ``old_src``.

    Fails with both sides shown when that does not happen in ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    now = state(page)
    while time.monotonic() < deadline:
        if (now["level"] == want["level"] and now["blocked"] == want["blocked"] and now["ratio"] == want["ratio"]
                and now["src"] and now["src"] != old_src):
            return now
        time.sleep(0.03)
        now = state(page)
    raise AssertionError(
        f"after {timeout:.0f} s the workbook shows level={now['level']!r} blocked={now['blocked']!r} "
        f"D/N={now['ratio']!r} (chart {'changed' if now['src'] != old_src else 'UNCHANGED'}); planner says "
        f"level={want['level']!r} blocked={want['blocked']!r} D/N={want['ratio']!r} for "
        f"N={want['params']:,}, D={want['tokens']:,}. Readout: {now['text'][:200]!r}")
