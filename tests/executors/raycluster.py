"""A real local Ray cluster for the Ray tests: ``ray start --head --block`` on 127.0.0.1 with two CPUs (two
worker processes at a time), every port chosen free, stopped (its process group) at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORTS = ("--port", "--node-manager-port", "--object-manager-port",
         "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port",
         "--metrics-export-port", "--dashboard-port")


def free_ports(count: int) -> list[int]:
    found: list[socket.socket] = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        found.append(s)
    ports = [s.getsockname()[1] for s in found]
    for s in found:
        s.close()
    return ports


def ray_executable() -> str:
    return str(Path(sys.executable).parent / "ray")


@contextmanager
def local_cluster(num_cpus: int = 2, wait: float = 180) -> Iterator[str]:
    """The address of a running cluster, for the duration of the block. A start that fails (a port chosen free
    may be taken by a test on the other xdist worker before Ray binds it) is tried once more on new ports."""
    try:
        started = _started(num_cpus, wait)
        address = next(started)
    except RuntimeError:
        started = _started(num_cpus, wait)
        address = next(started)
    try:
        yield address
    finally:
        started.close()


def _started(num_cpus: int, wait: float) -> Iterator[str]:
    temp = Path(tempfile.mkdtemp(prefix="rt-"))  # short: Ray's unix sockets live under it
    ports = free_ports(len(PORTS) + 1)
    argv = [ray_executable(), "start", "--head", "--block", "--num-cpus", str(num_cpus), "--node-ip-address",
            "127.0.0.1", "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(temp),
            "--min-worker-port", str(ports[-1]), "--max-worker-port", str(ports[-1] + 200)]
    for flag, port in zip(PORTS, ports[:-1], strict=True):
        argv += [flag, str(port)]
    log = open(temp / "start.log", "w+")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["TMPDIR"] = str(temp / "tmp")  # the workers' clones go there, and with the cluster
    (temp / "tmp").mkdir()
    head = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + wait
        while "Ray runtime started" not in (temp / "start.log").read_text(errors="replace"):
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start failed:\n{(temp / 'start.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield f"127.0.0.1:{ports[0]}"
    finally:
        stop(head)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def stop(head: subprocess.Popen[bytes]) -> None:
    """End ``ray start --block`` and everything it started (its own process group, which it made its children
    part of), first politely."""
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(head.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    head.wait(10)
