"""unleash-server from node_modules as a child process on loopback, and the tokens it starts with."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / "node_modules" / "unleash-server" / "dist" / "server.js"
STARTUP_TIMEOUT_SECONDS = 90
ADMIN_TOKEN = "*:*.olap-test-admin-token"
ENVIRONMENT = "development"
CLIENT_TOKEN = f"default:{ENVIRONMENT}.olap-test-client-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class UnleashServer:
    """One unleash-server process; `stop()` and `start()` keep its database, port and tokens."""

    def __init__(self, database_url: str, log_path: Path):
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.database_url = database_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DATABASE_SSL": "false",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "INIT_ADMIN_API_TOKENS": ADMIN_TOKEN,
            "INIT_CLIENT_API_TOKENS": CLIENT_TOKEN,
            # Keep the server on loopback: no version check, no usage reports.
            "CHECK_VERSION": "false",
            "SEND_TELEMETRY": "false",
            "LOG_LEVEL": "warn",
            "TZ": "UTC",
        }
        log = self.log_path.open("a")
        self.process = subprocess.Popen(["node", str(SERVER_SCRIPT)], env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=self.log_path.parent)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"unleash-server did not answer /health within {STARTUP_TIMEOUT_SECONDS} s; its log:\n{self.log_path.read_text()[-4000:]}", pytrace=False)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
