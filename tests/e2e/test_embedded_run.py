"""`waymark run` as a newcomer uses it: started in a terminal, used from another shell, stopped
with Ctrl-C — which reaches the whole foreground process group, not only the launcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

from typer.testing import CliRunner

from shared.nats_server import free_port
from tests.support import wait_until
from waymark.cli import cli


def test_given_the_embedded_run_when_ctrl_c_is_pressed_then_it_stops_without_nats_warnings(
    tmp_path: Path,
) -> None:
    var_dir = tmp_path / "var"
    output = tmp_path / "run.log"
    names = ("nats", "visits", "cases", "notifications", "web")
    ports = {f"--{name}-port": str(free_port()) for name in names}
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYMARK_")}
    with output.open("wb") as sink:
        # Its own process group, standing in for the terminal's foreground group.
        run = subprocess.Popen(
            [
                sys.executable,
                *("-m", "waymark.cli", "run", "--var-dir", str(var_dir)),
                *(part for option in ports.items() for part in option),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: "Ctrl-C stops everything" in output.read_text() or run.poll() is not None,
            timeout=90,
            interval=0.2,
            message="the embedded run to come up",
        )
        assert run.poll() is None, output.read_text()
        # From another shell: its data directory named, the admin commands find everything.
        token = CliRunner().invoke(cli, ["dev-token", "admin", "--var-dir", str(var_dir)])
        history = CliRunner().invoke(
            cli, ["history", "cases", str(uuid4()), "--var-dir", str(var_dir)]
        )
        assert token.exit_code == 0, token.output
        assert (history.exit_code, history.stderr[:13]) == (1, "No aggregate "), history.output

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        assert run.wait(60) == 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)
            run.wait(30)
    log = output.read_text()
    assert log.rstrip().endswith("Stopped."), log
    assert "nats.disconnected" not in log and "nats.error" not in log, log
