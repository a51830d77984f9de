"""A seccomp filter, as classic BPF built in pure Python, that refuses the kernel's riskier
corners to student code: new user namespaces (the way to mount a tmpfs of host memory or
reach code paths root-only otherwise), joining namespaces, mounts, keyrings, eBPF, perf,
ptrace and userfaultfd; and sockets: `socket()` of any family (Unix ones too: an abstract
Unix socket has no file permissions to stop a connection) and io_uring (which can open
sockets without that call). `socketpair()` stays: it reaches nothing outside the process.
And the ways memory or messages outlive one task's process for the next (docs/sandbox.md,
"Why nothing inside the sandbox is worth taking"): `mmap` with MAP_SHARED (private and
anonymous mappings, all Python and glibc need, stay), SysV shared memory, message queues
and semaphores, POSIX message queues, and process_vm_readv/writev.
bwrap loads it with `--seccomp FD`; the container backend's entry installs it with prctl
before any student code runs, and that is what keeps the network (and the other programs'
Unix sockets) from the container backend's workers, which share the machine's.
"""

from __future__ import annotations

import errno
import functools
import platform
import struct

CLONE_NEWUSER = 0x10000000

_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL = 0x80000000  # SECCOMP_RET_KILL_PROCESS
_ERRNO = 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (arg0's low half: little endian)
_ARG3 = _ARG0 + 3 * 8  # mmap's flags
MAP_SHARED = 0x01  # also set in MAP_SHARED_VALIDATE (0x03)
_X32_BIT = 0x40000000

# (audit arch, syscall numbers). Refused with EPERM, except: clone3 with ENOSYS (its flags
# sit in memory BPF cannot read; glibc then falls back to clone), clone and unshare only
# when asked for a new user namespace.
_ARCHES = {
    "x86_64": (0xC000003E, {
        "clone": 56, "unshare": 272, "clone3": 435, "setns": 308, "mount": 165,
        "umount2": 166, "pivot_root": 155, "keyctl": 250, "add_key": 248, "request_key": 249,
        "bpf": 321, "perf_event_open": 298, "ptrace": 101, "userfaultfd": 323,
        "socket": 41, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "mmap": 9, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65,
        "semctl": 66, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
        "semtimedop": 220, "mq_open": 240, "mq_timedsend": 242, "mq_timedreceive": 243,
        "process_vm_readv": 310, "process_vm_writev": 311}),
    "aarch64": (0xC00000B7, {
        "clone": 220, "unshare": 97, "clone3": 435, "setns": 268, "mount": 40, "umount2": 39,
        "pivot_root": 41, "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280,
        "perf_event_open": 241, "ptrace": 117, "userfaultfd": 282, "socket": 198,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "mmap": 222, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189,
        "semget": 190, "semctl": 191, "semtimedop": 192, "semop": 193, "shmget": 194,
        "shmctl": 195, "shmat": 196, "mq_open": 180, "mq_timedsend": 182,
        "mq_timedreceive": 183, "process_vm_readv": 270, "process_vm_writev": 271}),
}
# The new mount API has the same numbers on both: open_tree .. fspick, mount_setattr.
_NEW_MOUNT_API = (428, 429, 430, 431, 432, 433, 442)


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def supported() -> str | None:
    """The machine's name when a filter exists for it, else None."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())
    return machine if machine in _ARCHES else None


@functools.cache
def program(machine: str | None = None) -> bytes:
    """The filter for `machine` (default: this one) as an array of struct sock_filter."""
    machine = machine or supported()
    if machine not in _ARCHES:
        raise ValueError(f"no seccomp filter for {machine}: x86_64 and aarch64 only")
    arch, numbers = _ARCHES[machine]
    eperm = _op(_RET, _ERRNO | errno.EPERM)
    code = [_op(_LD_ABS, _ARCH), _op(_JEQ, arch, 1, 0), _op(_RET, _KILL), _op(_LD_ABS, _NR)]
    if machine == "x86_64":  # x32 system calls (same arch, bit 30 set): kill
        code += [_op(_JGE, _X32_BIT, 0, 1), _op(_RET, _KILL)]
    for name in ("clone", "unshare"):
        code += [_op(_JEQ, numbers[name], 0, 4), _op(_LD_ABS, _ARG0),
                 _op(_JSET, CLONE_NEWUSER, 0, 1), eperm, _op(_RET, _ALLOW)]
    code += [_op(_JEQ, numbers["clone3"], 0, 1), _op(_RET, _ERRNO | errno.ENOSYS)]
    code += [_op(_JEQ, numbers["mmap"], 0, 4), _op(_LD_ABS, _ARG3),
             _op(_JSET, MAP_SHARED, 0, 1), eperm, _op(_RET, _ALLOW)]
    refused = [nr for name, nr in numbers.items()
               if name not in ("clone", "unshare", "clone3", "mmap")]
    for nr in [*refused, *_NEW_MOUNT_API]:
        code += [_op(_JEQ, nr, 0, 1), eperm]
    code.append(_op(_RET, _ALLOW))
    return b"".join(code)
