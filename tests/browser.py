"""Headless Chromium for the page tests: screenshots, the DOM, and layout measured in the page."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

WIDTH = 1280


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")


def run(profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", *args]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def measure(page: Path, tmp: Path, expression: str, *, fragment: str = "",
            height: int = 900) -> dict:
    """Evaluate `expression` (JavaScript giving a JSON-able value) in a copy of `page` laid out
    WIDTH px wide. The pages forbid scripts; only this copy, made for measuring, runs one."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    script = ("<script>window.addEventListener('load', () => { const r = (" + expression + ");"
              " const o = document.createElement('output'); o.id = 'measured';"
              " o.textContent = JSON.stringify(r); document.body.appendChild(o); });</script>")
    copy = tmp / ("measured-" + page.name)
    copy.write_text(text.replace("</body>", script + "</body>"), encoding="utf-8")
    dom = run(tmp / "profile", f"--window-size={WIDTH},{height}", "--virtual-time-budget=3000",
              "--dump-dom", copy.as_uri() + fragment)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<output id="measured">(.*?)</output>', dom.stdout, re.S)
    assert found, dom.stdout[-2000:]
    import html
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, tmp: Path, name: str, height: int) -> Path:
    shot = tmp / name
    done = run(tmp / "profile", f"--screenshot={shot}", f"--window-size={WIDTH},{height}",
               "--hide-scrollbars", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    keep = os.environ.get("AUTOGRADE_SCREENSHOTS")
    if keep:  # e.g. a CI artifact folder
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
    return shot
