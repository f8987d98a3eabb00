"""A headless Chromium driven over the DevTools protocol, for the browser tests.

The protocol runs over a pipe (`--remote-debugging-pipe`: commands on fd 3, replies and
events on fd 4, NUL-separated JSON), so there is no port to find, no websocket library
to install and nothing listening on the network. Debian's `chromium` is used as is;
without it the tests fail with a message saying how to install it (`.ci/run` does).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


def find_chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise RuntimeError(
        "Chromium is needed for the browser tests and was not found: install Debian's "
        "`chromium` (apt-get update && apt-get install -y chromium; `.ci/run` does this) "
        "or set CHROMIUM to the browser's path"
    )


class CDPError(RuntimeError):
    pass


class Browser:
    """One Chromium process; `page()` opens a tab that records console messages,
    exceptions, dialogs and network requests."""

    def __init__(self, timeout: float = 30.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="analyzer-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds():  # in the child: its ends become fd 3 (commands) and fd 4 (replies)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [find_chromium(), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=fds,
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []
        self.version = self.call("Browser.getVersion")

    # --- protocol ---------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._next

    def call(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float | None = None,
    ) -> dict:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read(deadline)
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(
        self, method: str, session: str | None = None, timeout: float | None = None, since: int = 0
    ) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for ev in self.events[since:]:
                if ev["method"] == method and (session is None or ev.get("sessionId") == session):
                    return ev
            since = len(self.events)
            msg = self._read(deadline)
            if "method" in msg:
                self.events.append(msg)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise CDPError("Chromium closed the DevTools pipe (it crashed or exited)")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    # --- pages ----------------------------------------------------------------------------------
    def page(self, width: int = 1280, height: int = 900) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        return Page(self, target, session, width, height)

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, target: str, session: str, width: int, height: int):
        self.b, self.target, self.session = browser, target, session
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def call(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        return self.b.call(method, params, self.session, timeout)

    def open(self, url: str, timeout: float = 60.0) -> float:
        """Navigate and wait for the load event (answering any dialog so the page is never
        stuck); returns the seconds it took."""
        mark = len(self.b.events)
        started = time.monotonic()
        self.call("Page.navigate", {"url": url})
        deadline = started + timeout
        while True:
            for ev in self.b.events[mark:]:
                if ev.get("sessionId") != self.session:
                    continue
                if ev["method"] == "Page.javascriptDialogOpening":
                    self.b.send("Page.handleJavaScriptDialog", {"accept": False}, self.session)
                    ev["method"] = "Page.javascriptDialogOpening(handled)"
                    ev.setdefault("_dialog", True)
                if ev["method"] == "Page.loadEventFired":
                    return time.monotonic() - started
            mark = len(self.b.events)
            msg = self.b._read(deadline)
            if "method" in msg:
                self.b.events.append(msg)

    def settle(self, seconds: float = 0.3) -> None:
        """Let pending events arrive (a dialog opened by a late script, console output)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self.b._read(deadline)
                if "method" in msg:
                    self.b.events.append(msg)
                    if msg["method"] == "Page.javascriptDialogOpening":
                        self.b.send("Page.handleJavaScriptDialog", {"accept": False}, self.session)
                        msg["_dialog"] = True
        except TimeoutError:
            pass

    def evaluate(self, expression: str, timeout: float | None = None):
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout,
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: str | os.PathLike, full_page: bool = True) -> Path:
        """A PNG of the page (`full_page`: all of it, else the viewport)."""
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        shot = self.call("Page.captureScreenshot", params, timeout=60)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # --- what happened on the page -----------------------------------------------------------
    def _mine(self, method: str) -> list[dict]:
        return [
            e
            for e in self.b.events
            if e.get("sessionId") == self.session and e["method"].startswith(method)
        ]

    def console_errors(self) -> list[str]:
        out = []
        for e in self._mine("Runtime.consoleAPICalled"):
            if e["params"]["type"] in ("error", "assert"):
                out.append(
                    " ".join(
                        str(a.get("value", a.get("description", ""))) for a in e["params"]["args"]
                    )
                )
        for e in self._mine("Runtime.exceptionThrown"):
            d = e["params"]["exceptionDetails"]
            out.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
        for e in self._mine("Log.entryAdded"):
            if e["params"]["entry"]["level"] == "error":
                out.append(e["params"]["entry"]["text"])
        return out

    def dialogs(self) -> list[dict]:
        return [e["params"] for e in self._mine("Page.javascriptDialogOpening")]

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self._mine("Network.requestWillBeSent")]

    def close(self) -> None:
        try:
            self.b.call("Target.closeTarget", {"targetId": self.target})
        except (CDPError, TimeoutError):
            pass
