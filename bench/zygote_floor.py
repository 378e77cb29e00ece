"""What a worker zygote would save: the CPU time of starting a worker as the grader does now
(bubblewrap, then a fresh `python -I` importing numpy), beside that of a child forked from a
process that has numpy loaded already and walls itself off as the sandbox does (new mount, PID,
network, IPC and UTS namespaces, a private root of read-only binds, PID 1 of its own namespace,
an unprivileged uid). Linux and root only; run by hand, figures go in notes and the README.

    sudo python bench/zygote_floor.py [--runs 30]

The zygote itself is not built (issue 15): this is the bound on what it could give. Both sides
stop where the worker would load the submission; the zygote's child leaves out the seccomp
filter and the cgroup, which cost both the same.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
IMPORTS = "import numpy, numpy.linalg, numpy.random"

ZYGOTE = r'''
import ctypes, gc, os, sys, time
import numpy, numpy.linalg, numpy.random
gc.freeze()
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUTS, NEWIPC, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
RDONLY, NOSUID, NODEV, REMOUNT, BIND, REC, PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
ROOT, BINDS, UID, RUNS = sys.argv[1], sys.argv[2].split(":"), int(sys.argv[3]), int(sys.argv[4])


def mount(source, target, fstype, flags):
    if libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                  flags, None) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


def child():
    if libc.unshare(NEWNS | NEWUTS | NEWIPC | NEWPID | NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    mount(None, "/", None, REC | PRIVATE)
    mount("tmpfs", ROOT, "tmpfs", NOSUID | NODEV)
    for folder in BINDS:
        inside = ROOT + folder
        os.makedirs(inside, exist_ok=True)
        mount(folder, inside, None, BIND | REC)
        mount(None, inside, None, BIND | REMOUNT | RDONLY | REC)
    pid1 = os.fork()  # the first process of the new PID namespace, as bubblewrap's worker is
    if pid1 == 0:
        os.chroot(ROOT)
        os.chdir("/")
        os.setgroups([])
        os.setgid(UID)
        os.setuid(UID)
        numpy.random.seed(0)  # touch numpy, as the worker's first call does
        os._exit(0)
    _, status = os.waitpid(pid1, 0)
    os._exit(0 if status == 0 else 1)


before = os.times()
for _ in range(RUNS):
    pid = os.fork()
    if pid == 0:
        try:
            child()
        except BaseException as exc:
            print(exc, file=sys.stderr)
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit("a zygote child failed")
after = os.times()
print((after.children_user + after.children_system + after.user + after.system
       - before.children_user - before.children_system - before.user - before.system) / RUNS)
'''


def _cpu(argv: list[str]) -> tuple[float, str]:
    """CPU-s of `argv` and all it started, and what it printed. This process is made a subreaper
    (main), so the sandbox's processes that bubblewrap leaves to be re-parented come here and are
    waited for: their time counts too, as it does in a grader."""
    before = os.times()
    done = subprocess.run(argv, check=True, capture_output=True, text=True,
                          env={**os.environ, **WORKER_ENV})
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    after = os.times()
    return (after.children_user + after.children_system
            - before.children_user - before.children_system), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        sys.exit("zygote_floor.py needs Linux and root (it makes namespaces and mounts)")
    sys.path.insert(0, str(ROOT))
    from grader import containment, isolation
    containment.become_subreaper()
    if isolation.bwrap_problem():
        sys.exit(f"no sandbox here to compare with: {isolation.bwrap_problem()}")
    uid = isolation.UID_RANGE[0]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        os.chown(scratch, uid, uid)
        now = isolation._bwrap_argv(scratch, dict(WORKER_ENV), uid) + [
            sys.executable, "-I", "-X", "utf8", "-c", IMPORTS]
        started = statistics.median(_cpu(now)[0] for _ in range(args.runs))
        binds = [p for p in ("/usr", "/lib", "/lib64", "/bin", "/sbin", *isolation._python_roots())
                 if os.path.isdir(p) and not os.path.islink(p)]
        root = Path(tmp) / "root"
        root.mkdir()
        _, out = _cpu([sys.executable, "-I", "-c", ZYGOTE, str(root), ":".join(binds), str(uid),
                       str(args.runs)])
        forked = float(out)
    print(f"worker start as now (bwrap, python -I, numpy), median of {args.runs}: "
          f"{started * 1e3:.1f} ms CPU")
    print(f"a zygote's child (fork, namespaces, private root, PID 1, uid), mean of {args.runs}: "
          f"{forked * 1e3:.1f} ms CPU")
    print(f"a zygote would save about {(started - forked) * 1e3:.0f} ms CPU per submission")


if __name__ == "__main__":
    main()
