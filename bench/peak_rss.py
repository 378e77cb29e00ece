"""Peak memory of the processes a benchmark starts, read from /proc (Linux) while they run.

Each process's VmHWM (its peak resident set) is read every few milliseconds; a process is
counted under the first label whose marker its command line holds, if it descends from the
benchmark (other people's graders on the same machine are not counted). A process that peaks and
exits between two reads is missed, so the figures are a floor, close for processes that live a
while (a warm grader, a worker serving a submission's checks, each check's fork).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path


class PeakRSS:
    def __init__(self, markers: dict[str, str], interval: float = 0.005) -> None:
        self.markers = markers  # label -> a piece of the command line
        self.interval = interval
        self.peak_kib: dict[str, int] = {label: 0 for label in markers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "PeakRSS":
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or pid == me:
                    continue
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    label = next((k for k, m in self.markers.items() if m in cmdline), None)
                    if label is None or not _descends_from(pid, me):
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            kib = int(line.split()[1])
                            self.peak_kib[label] = max(self.peak_kib[label], kib)
                            break
                except (OSError, ValueError):
                    continue
            self._stop.wait(self.interval)

    def describe(self) -> str:
        if not self._thread.ident:
            return "peak RSS: not measured (no /proc)"
        return "peak RSS: " + ", ".join(f"{label} {kib / 1024:.0f} MiB"
                                        for label, kib in self.peak_kib.items())


def _descends_from(pid: str, ancestor: str) -> bool:
    for _ in range(64):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = stat[stat.rindex(")") + 2:].split()[1]  # the field after the state: the parent
        if pid == ancestor:
            return True
        if pid in ("0", "1"):
            return False
    return False
