"""Open a local HTML file in headless Chromium and report what a reader would see broken.

Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file
descriptors 3 and 4), so no WebSocket client or browser-automation package is
needed. :func:`open_page` returns the page's images (loaded or not), its console
errors, uncaught exceptions and failed requests.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["NO_CHROMIUM", "chromium", "open_page"]

#: Why a browser check is skipped.
NO_CHROMIUM = (
    "Chromium is not installed here (.ci/run installs Debian's chromium; "
    "apt-get install chromium to run this check)"
)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_IMAGES = (
    "JSON.stringify(Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 48), "
    "complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})))"
)


def chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class _Pipe:
    def __init__(self, proc, write_fd: int, read_fd: int):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.buffer = b""
        self.events: list[dict] = []
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.read(timeout=60)
            if reply is None:
                raise TimeoutError(f"Chromium did not answer {method} within 60 s")
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                return None
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit code {self.proc.poll()})")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def wait_for(self, method: str, timeout: float) -> bool:
        if any(e.get("method") == method for e in self.events):
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.read(timeout=deadline - time.monotonic())
            if event is None:
                return False
            self.events.append(event)
            if event.get("method") == method:
                return True
        return False

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            event = self.read(timeout=left)
            if event is None:
                return
            self.events.append(event)


def open_page(path, *, settle: float = 1.0, timeout: float = 60.0) -> dict:
    """Load ``path`` (a local HTML file) in headless Chromium; what the reader would see broken.

    Returns
    -------
    dict
        ``images``: one dict per ``<img>`` (``src`` start, ``complete``, natural
        ``width``/``height``; a broken image has width 0); ``console_errors``:
        console.error/assert messages and error-level log entries (which include
        resources that failed to load); ``exceptions``: uncaught JavaScript
        exceptions; ``failed_requests``: URLs that did not load; ``loaded``:
        whether the load event fired.
    """
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no Chromium executable on PATH")
    url = Path(path).resolve().as_uri()
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def fds_3_and_4():  # Chromium reads commands on fd 3 and writes replies on fd 4
        # Copies above 10 first: a pipe end may itself be fd 3 or 4.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]
        for fd, target in zip(high, (3, 4), strict=True):
            os.dup2(fd, target)
            os.set_inheritable(target, True)

    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=fds_3_and_4,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.events.clear()
            pipe.send("Page.navigate", {"url": url}, session=session)
            loaded = pipe.wait_for("Page.loadEventFired", timeout)
            pipe.drain(settle)
            value = pipe.send(
                "Runtime.evaluate", {"expression": _IMAGES, "returnByValue": True}, session=session
            )["result"]["value"]
            events = list(pipe.events)
            try:
                pipe.send("Browser.close")
            except (RuntimeError, TimeoutError, OSError):
                pass
        finally:
            for fd in (to_chrome_w, from_chrome_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    console, exceptions, failed = [], [], []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            console.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            console.append(f"{params['entry'].get('text')} ({params['entry'].get('url', '')})")
        elif method == "Runtime.exceptionThrown":
            exceptions.append(params["exceptionDetails"].get("text", str(params)))
        elif method == "Network.loadingFailed":
            failed.append(f"{params.get('errorText')} ({params.get('requestId')})")
    return {
        "loaded": loaded,
        "images": json.loads(value),
        "console_errors": console,
        "exceptions": exceptions,
        "failed_requests": failed,
    }
