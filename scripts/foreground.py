"""Run one command in the foreground so that the services started for it are stopped after it, however
it ends: by itself, by Ctrl-C, or by SIGTERM or SIGHUP sent to us (as `make` passes SIGTERM on)."""

from __future__ import annotations

import signal
import subprocess

GRACE_SECONDS = 15


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end this process as Ctrl-C does, with KeyboardInterrupt: its `finally`
    blocks run and stop what it started (by default they would end it on the spot)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.default_int_handler)


def run(command: list[str], env: dict[str, str]) -> int:
    """Run command to its end and return its exit code. SIGTERM and SIGHUP sent to us are passed on to
    it; Ctrl-C reaches it from the terminal (it is in our process group), and we wait for it to end,
    ending it ourselves if it has not within GRACE_SECONDS."""
    child = subprocess.Popen(command, env=env)

    def pass_on(signum, _frame):
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                try:
                    return child.wait(timeout=GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    child.terminate()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
