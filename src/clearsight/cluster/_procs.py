"""Starting cluster processes for the scale test and tests: workers, the consumer, and a
private nats-server (never the shared one) for outage scenarios."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from clearsight.errors import ConfigError

__all__ = ["ClusterProcesses", "NatsServer", "free_port"]

_CLI = "from clearsight.cli import main; main()"
NATS_SERVER_ENV = "CLEARSIGHT_NATS_SERVER"
"""Path of the nats-server binary, when it is not on PATH."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass
class NatsServer:
    """A nats-server with JetStream on 127.0.0.1:``port``, its files in ``store``."""

    port: int
    store: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> str:
        found = os.environ.get(NATS_SERVER_ENV) or shutil.which(
            "nats-server", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin"
        )
        if not found:
            raise ConfigError(f"nats-server not found: install it or set ${NATS_SERVER_ENV}")
        return found

    def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        log = (self.store / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if not _wait_port(self.port, 15):
            self.stop()
            raise ConfigError(f"nats-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class ClusterProcesses:
    """Worker and consumer processes of one namespace, sharing one key ring (in the env)."""

    nats_url: str
    namespace: str
    key_text: str
    folder: Path
    workers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    consumer: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["CLEARSIGHT_KEY"] = self.key_text
        env.pop("CLEARSIGHT_KEY_FILE", None)
        return env

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / log_name).open("ab")
        return subprocess.Popen(
            [sys.executable, "-c", _CLI, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env(),
        )

    def start_worker(
        self, index: int, sim_data: Path, track_every_s: float, extra: list[str] | None = None
    ) -> subprocess.Popen[bytes]:
        process = self._spawn(
            [
                "worker",
                "--nats",
                self.nats_url,
                "--namespace",
                self.namespace,
                "--data-dir",
                str(self.folder / f"worker-{index}"),
                "--simulate",
                str(sim_data),
                "--track-every",
                str(track_every_s),
                "--metrics-port",
                "0",
                "-v",
                *(extra or []),
            ],
            f"worker-{index}.log",
        )
        self.workers[index] = process
        return process

    def start_consumer(self, dsn: str, schema: str) -> subprocess.Popen[bytes]:
        self.consumer = self._spawn(
            [
                "cluster",
                "consume",
                "--nats",
                self.nats_url,
                "--namespace",
                self.namespace,
                "--dsn",
                dsn,
                "--schema",
                schema,
                "-v",
            ],
            "consumer.log",
        )
        return self.consumer

    def kill_worker(self, index: int) -> None:
        """kill -9: no chance to give leases back or flush anything."""
        process = self.workers.pop(index)
        process.kill()
        process.wait()

    def kill_consumer(self) -> None:
        if self.consumer is not None:
            self.consumer.kill()
            self.consumer.wait()
            self.consumer = None

    def stop_all(self, timeout: float = 30) -> None:
        """SIGTERM everything (workers flush their buffers), then kill what lingers."""
        processes = list(self.workers.values()) + ([self.consumer] if self.consumer else [])
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.workers.clear()
        self.consumer = None

    def stop_workers(self, timeout: float = 30) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.workers.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.workers.clear()
