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
from contextlib import contextmanager
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
        """Return once ``probe`` answers 200; stop the server and raise if it exits or does not answer in time."""
        try:
            self._wait(probe, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, probe: str, timeout: float) -> None:
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


def start_voila(workdir: Path, notebook: Path = NOTEBOOK, extra: tuple = (), serve_dir: bool = False,
                culling: tuple = ()) -> Server:
    """Copy ``notebook`` into ``workdir`` and serve the copy with Voila (stored outputs never rewritten),
    with the template and the idle-kernel culling ``planner workbook --app`` uses. ``serve_dir``: serve the
    whole folder (pages at ``voila/render/NAME.ipynb``)."""
    from planner.cli.jupyter import VOILA_TEMPLATE, app_environment, culling_options

    if notebook.parent.resolve() != workdir.resolve():
        shutil.copy(notebook, workdir / notebook.name)
    port = free_port()
    server = _start(["voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                     "." if serve_dir else notebook.name, f"--template={VOILA_TEMPLATE}",
                     *culling_options(*culling), *extra], workdir, port, workdir / "voila.log", app_environment())
    server.wait_ready("/voila/static/favicon.ico")
    server.url += "/"
    return server


def start_lab(workdir: Path, notebook: Path = NOTEBOOK) -> Server:
    """Copy ``notebook`` into ``workdir/root`` and serve it with JupyterLab, token-less, with settings and
    workspaces kept in ``workdir`` (no state from earlier sessions, no news pop-up)."""
    root = workdir / "root"  # the log, settings and workspaces stay out of Lab's file browser
    root.mkdir(exist_ok=True)
    shutil.copy(notebook, root / notebook.name)
    env = _lab_env(workdir)
    port = free_port()
    server = _start(["jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                     "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}"],
                    root, port, workdir / "lab.log", env)
    server.wait_ready(LAB_PROBE)
    return server


def _lab_env(workdir: Path) -> dict[str, str]:
    """JupyterLab's settings and workspaces kept in ``workdir``, its news fetch off (no request off the machine)."""
    settings = workdir / ".lab-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')
    return dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(workdir / ".lab-ws"))


def start_workbook_lab(workdir: Path) -> Server:
    """``planner workbook`` (the README's launch command) run in ``workdir``, token-less for the test."""
    env = _lab_env(workdir)
    port = free_port()
    server = _start(["planner", "workbook", "--no-browser", f"--port={port}", "--",
                     "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password="],
                    workdir, port, workdir / "lab.log", env)
    server.wait_ready(LAB_PROBE)
    return server


def start_workbook_app(workdir: Path) -> Server:
    """``planner workbook --app`` (the README's app command) run in ``workdir`` on 127.0.0.1."""
    port = free_port()
    server = _start(["planner", "workbook", "--app", "--no-browser", f"--port={port}", "--", "--Voila.ip=127.0.0.1"],
                    workdir, port, workdir / "voila.log")
    server.wait_ready("/voila/static/favicon.ico")
    server.url += "/"
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

# Each control row carries the class planner-ctl-<name>; its slider has the label, its text box the value.
CONTROL_NAMES = {"steps": "steps", "layers": "layers", "hidden": "hidden-size", "heads": "heads",
                 "head_dim": "head-dim", "kv_heads": "kv-heads", "intermediate": "intermediate-size", "vocab": "vocab",
                 "experts": "experts", "top_k": "top-k", "expert_size": "expert-size",
                 "shared_experts": "shared-experts", "micro_batch": "micro-batch", "grad_accum": "grad-accum",
                 "data_parallel": "data-parallel", "seq_len": "seq-len", "prior": "prior-tokens",
                 "unique": "unique-tokens", "gpus": "GPUs", "mfu": "MFU", "price": "price", "tp": "tp", "pp": "pp",
                 "zero": "zero", "inference": "inference-tokens"}
LABELS = {"steps": "steps", "layers": "layers", "micro_batch": "micro-batch", "grad_accum": "grad accum",
          "data_parallel": "data parallel", "seq_len": "seq len", "hidden": "hidden size", "heads": "heads",
          "head_dim": "head dim", "kv_heads": "kv heads", "intermediate": "intermediate size", "vocab": "vocab",
          "experts": "experts", "top_k": "top-k", "expert_size": "expert size"}


def slider(page, name: str):
    """The slider whose ``label.widget-label`` reads exactly ``name`` (a label, or a key of LABELS)."""
    name = LABELS.get(name, name)
    label = page.locator("label.widget-label", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
    return page.locator(".widget-slider").filter(has=label).first


def box(page, key: str):
    """The text box of a control (``steps``, ``mfu``, ``prior``, ...)."""
    return page.locator(f".planner-ctl-{CONTROL_NAMES[key]} .planner-box input").first


def message(page, key: str):
    """The refusal line under a control (hidden when there is none)."""
    return page.locator(f".planner-ctl-{CONTROL_NAMES[key]}").locator("xpath=..").locator(".planner-message").first


def box_value(page, key: str) -> str:
    return box(page, key).input_value()


def slider_value(page, name: str) -> float:
    """The number a control's box shows, read with planner's own parser (``1.2M`` -> 1200000)."""
    import planner
    key = next((k for k, v in LABELS.items() if v == name), name)
    text = box_value(page, key)
    return float(planner.validate.positive_real(name, text, minimum=0, inclusive=True, percent=key == "mfu"))


def press(page, name: str, key: str, times: int = 1) -> None:
    """Focus the slider's noUi handle and press ``key`` ``times`` times."""
    handle = slider(page, name).locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        page.keyboard.press(key)


def type_value(page, key: str, value, finish: str = "Enter") -> None:
    """Type ``value`` into a control's box as a person would, then ``finish``: Enter, Tab or blur (click away)."""
    b = box(page, key)
    b.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    if finish == "blur":
        page.locator(".planner-readout").first.click(position={"x": 5, "y": 5})
    else:
        page.keyboard.press(finish)


_STATE_JS = r"""() => {
  const ro = document.querySelector('.planner-readout') || document.querySelector('.widget-html');
  const v = ro ? ro.querySelector('.planner-verdict') : null;
  const img = document.querySelector('img.widget-image');
  const det = document.querySelector('.planner-details');
  const text = (ro ? ro.innerText : '') + '\n' + (det ? det.innerText : '');
  const m = text.match(/(SEVERE|BLOCKED|BELOW[ -]OPTIMAL|COMPUTE-OPTIMAL)[^:\n]*:\s*D'?\/N\s*=?\s*([0-9.,]+)/);
  return {text: text.slice(0, 3000), current: v ? v.dataset.current === 'true' : null,
          level: v ? (v.dataset.level || null) : null,
          blocked: v && v.dataset.blocked ? v.dataset.blocked === 'true' : null,
          params: v && v.dataset.params ? v.dataset.params : null,
          tokens: v && v.dataset.tokens ? v.dataset.tokens : null,
          ratio: m ? m[2] : null, src: img ? img.src : null, imgWidth: img ? img.naturalWidth : 0,
          stale: img ? img.classList.contains('planner-stale') : null};
}"""


def state(page) -> dict:
    """The readout's level, blocked flag, N, D and D/N text, and the chart's ``src``, as the page shows them."""
    return page.evaluate(_STATE_JS)


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
    """The controls that make D and N, read from their boxes."""
    keys = ("layers", "steps", "micro_batch", "grad_accum", "data_parallel", "seq_len")
    return {k: int(round(slider_value(page, k))) for k in keys}


def expected(settings: dict, plan=None, **changes) -> dict:
    """What planner says for the origin-case plan file with these settings: level, blocked, D/N text, N, D."""
    import planner
    from planner.format import fmt_ratio
    from planner.training.budget import Budget

    p = planner.load_plan(plan or ROOT / "data" / "plans" / "origin-case.toml")
    arch = p.model.with_(num_layers=settings["layers"])
    b = Budget.from_batch(settings["steps"], settings["micro_batch"], settings["seq_len"], settings["grad_accum"],
                          settings["data_parallel"])
    a = planner.assess_plan(p.with_(model=arch, budget=b, **changes))
    lines = (a.plan.thresholds.severe, a.plan.thresholds.block, a.plan.thresholds.optimal)
    return {"level": a.gate.level, "blocked": a.gate.blocked, "ratio": fmt_ratio(a.gate.ratio, lines),
            "params": a.params, "tokens": a.gate.tokens}


def wait_for(page, check, what: str, timeout: float = 20.0) -> dict:
    """Poll the page's state until ``check(state)`` holds; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    now = state(page)
    while time.monotonic() < deadline:
        if check(now):
            return now
        time.sleep(0.03)
        now = state(page)
    raise AssertionError(f"after {timeout:.0f} s, still waiting for {what}; the page shows {now}")


def wait_for_update(page, want: dict, old_src: str | None, timeout: float = 20.0) -> dict:
    """Wait until the readout shows ``want`` (level, blocked, N, D) and the chart of that state has arrived: a new
    ``src`` and no longer marked stale (marking it stale alone re-renders the ``<img>`` with a new ``src`` of the same
    bytes: ipywidgets' ImageView rebuilds its blob URL on every model change, ``_dom_classes`` included)."""
    def ok(now):
        return (now["current"] and now["level"] == want["level"] and now["blocked"] == want["blocked"]
                and now["params"] == str(want["params"]) and now["tokens"] == str(want["tokens"])
                and now["src"] and now["src"] != old_src and not now["stale"])
    return wait_for(page, ok, f"level={want['level']} blocked={want['blocked']} N={want['params']:,} "
                              f"D={want['tokens']:,} and a new chart", timeout)


def memory_state(page) -> dict:
    """The per-GPU memory bar as the page shows it: its fit state and its text (legend and verdict)."""
    return page.evaluate("""() => {
      const m = document.querySelector('.planner-memory-out .planner-memory');
      return m ? {fits: m.dataset.fits, text: m.innerText} : {fits: null, text: ''};
    }""")


@contextmanager
def watched(page, server: Server, name: str, what: str):
    """Close the page and stop the server at the end; on a failure first keep a screenshot (``name-failure.png``
    in ARTIFACTS) and print the server's log (``what`` names it)."""
    try:
        yield
    except BaseException:
        page.screenshot(path=ARTIFACTS / f"{name}-failure.png")
        print(f"{what} log:\n" + server.log_tail())
        raise
    finally:
        page.close()
        server.stop()
