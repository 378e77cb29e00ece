"""The seccomp filter a sandboxed worker runs under: no new namespaces, no mounts, no keyring.

Hand-assembled classic BPF (what bubblewrap's `--seccomp FD` reads: an array of struct sock_filter),
so that no library is needed. Without it a submission could create a user namespace of its own (the
kernel allows it to unprivileged users), mount a tmpfs there (memory no process owns, outside every
per-process limit), or keep a key in its uid's kernel keyring for a later submission to read.
bubblewrap's own `--disable-userns` needs `--unshare-user`, which the worker's host uid (leased, see
grader/uid_lease.py) rules out, so the filter refuses the system calls instead:

- keyctl, add_key, request_key (the keyring), ptrace, bpf, perf_event_open;
- unshare, setns, mount, umount2, pivot_root and the new mount API (fsopen ... mount_setattr);
- clone with any CLONE_NEW* flag (fork and threads are plain clone calls and stay allowed), and
  clone3, whose flags the filter cannot read: it answers ENOSYS, and glibc falls back to clone;
- setsid: the kernel's scheduler shares the CPU fairly between sessions (autogroup), so a
  submission whose processes each start a session of their own would take a share per process
  and starve the submission graded beside it into its deadlines; kept in the worker's one
  session (bwrap's `--new-session`, or the grader's `start_new_session`), all of them together
  get one share;
- on x86-64, every x32 system call (their numbers would dodge the checks above).
Refused calls fail with EPERM. Architectures other than x86-64 and aarch64 get no filter, and the
report says so. Process isolation installs the same filter itself (`installer`), so the session
keyring every worker inherits from the grader is no channel between submissions there either.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys
from typing import Callable

# struct sock_filter instruction classes and fields (linux/bpf_common.h, linux/seccomp.h)
_LD_W_ABS = 0x00 | 0x00 | 0x20
_JEQ_K = 0x05 | 0x10 | 0x00
_JGE_K = 0x05 | 0x30 | 0x00
_JSET_K = 0x05 | 0x40 | 0x00
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_KILL_PROCESS = 0x80000000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
# offsets in struct seccomp_data: nr, arch, instruction pointer, args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

CLONE_NAMESPACES = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                    | 0x40000000 | 0x00000080)  # NEWNS UTS IPC USER PID NET CGROUP TIME
X32_BIT = 0x40000000

# name -> number, per architecture (arch/*/syscall tables); clone3 and the mount API share numbers.
_COMMON = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
           "fspick": 433, "clone3": 435, "mount_setattr": 442}
ARCHES = {
    "x86_64": (0xC000003E, {"keyctl": 250, "add_key": 248, "request_key": 249, "ptrace": 101,
                            "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
                            "pivot_root": 155, "bpf": 321, "perf_event_open": 298, "clone": 56,
                            "setsid": 112, **_COMMON}),
    "aarch64": (0xC00000B7, {"keyctl": 219, "add_key": 217, "request_key": 218, "ptrace": 117,
                             "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
                             "pivot_root": 41, "bpf": 280, "perf_event_open": 241, "clone": 220,
                             "setsid": 157, **_COMMON}),
}
REFUSED = ("keyctl", "add_key", "request_key", "ptrace", "unshare", "setns", "mount", "umount2",
           "pivot_root", "bpf", "perf_event_open", "open_tree", "move_mount", "fsopen", "fsconfig",
           "fsmount", "fspick", "mount_setattr", "setsid")


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter for `machine` (default: this one) as bytes, or None where there is none."""
    machine = machine or platform.machine()
    if machine not in ARCHES:
        return None
    audit_arch, numbers = ARCHES[machine]
    eperm, enosys = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    out = [_insn(_LD_W_ABS, 0, 0, _ARCH),
           _insn(_JEQ_K, 1, 0, audit_arch),
           _insn(_RET_K, 0, 0, _KILL_PROCESS),  # another ABI (i386 on x86-64): nothing is checked
           _insn(_LD_W_ABS, 0, 0, _NR)]
    if machine == "x86_64":
        out += [_insn(_JGE_K, 0, 1, X32_BIT), _insn(_RET_K, 0, 0, eperm)]
    for name in REFUSED:
        out += [_insn(_JEQ_K, 0, 1, numbers[name]), _insn(_RET_K, 0, 0, eperm)]
    out += [_insn(_JEQ_K, 0, 1, numbers["clone3"]), _insn(_RET_K, 0, 0, enosys),
            _insn(_JEQ_K, 0, 3, numbers["clone"]),
            _insn(_LD_W_ABS, 0, 0, _ARG0_LOW),
            _insn(_JSET_K, 0, 1, CLONE_NAMESPACES),
            _insn(_RET_K, 0, 0, eperm),
            _insn(_RET_K, 0, 0, _ALLOW)]
    return b"".join(out)


def as_fd(data: bytes) -> int:
    """A file descriptor at offset 0 holding `data`, for `bwrap --seccomp FD` (the caller passes
    it to bwrap with Popen's pass_fds, and closes it once bwrap has started)."""
    import os
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("autograde-seccomp", 0)
    else:  # pragma: no cover - Linux without memfd (before 3.17)
        import tempfile
        fd, path = tempfile.mkstemp(prefix="autograde-seccomp-")
        os.unlink(path)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def installer() -> Callable[[], None] | None:
    """A function that puts the calling process (a worker between fork and exec, after it dropped
    its privileges) under the filter, for process isolation, where no bwrap loads it; None where
    there is no filter. Everything is built here, in the grader: the child only makes two calls."""
    data = program()
    if data is None or not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(data, len(data))
    fprog = SockFprog(len(data) // 8, ctypes.addressof(buffer))

    def install() -> None:
        keep = buffer  # noqa: F841 (the program must outlive the call)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "the seccomp filter could not be installed")
    return install
