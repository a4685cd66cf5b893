"""A verikeeper server process for the kazoo suite.

The server is `node dist/src/cli/main.js start-foreground <zoo.cfg>` (build
it first: `make build`) on a free loopback port with its data in a temporary
directory. Its log is collected; the process is killed and the directory
removed at the end, whatever happened.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from kazoo.client import KazooClient

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAIN = os.path.join(REPO, "dist", "src", "cli", "main.js")
NODE = os.environ.get("NODE", "node")

# tickTime 500 ms: session timeouts between 1 s and 10 s
SETTINGS = {
    "tickTime": 500,
    "clientPortAddress": "127.0.0.1",
    "4lw.commands.whitelist": "*",
}


def four_letter(port, word, timeout=5.0):
    """Sends a four-letter word and returns the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                return b"".join(chunks).decode()
            chunks.append(b)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, settings=None, port=0, myid=None):
        self.dir = tempfile.mkdtemp(prefix="verikeeper-kazoo-")
        self.data_dir = os.path.join(self.dir, "data")
        self.settings = dict(SETTINGS, **(settings or {}))
        self.port = port
        if myid is not None:
            os.makedirs(self.data_dir, exist_ok=True)
            with open(os.path.join(self.data_dir, "myid"), "w") as f:
                f.write("%d\n" % myid)
        self.proc = None
        self.lines = []

    @property
    def hosts(self):
        return "127.0.0.1:%d" % self.port

    def launch(self):
        """Starts the process without waiting for it to serve."""
        cfg = os.path.join(self.dir, "zoo.cfg")
        with open(cfg, "w") as f:
            for k, v in dict(self.settings, dataDir=self.data_dir, clientPort=self.port).items():
                f.write("%s=%s\n" % (k, v))
        env = dict(os.environ, VERIKEEPER_LOG="info")
        self.proc = subprocess.Popen(
            [NODE, MAIN, "start-foreground", cfg],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        threading.Thread(target=self._collect, args=(self.proc,), daemon=True).start()
        return self

    def serving(self):
        try:
            return "Zxid: 0x" in four_letter(self.port, "srvr", 1.0)
        except OSError:
            return False

    def mode(self):
        try:
            m = re.search(r"^Mode: (\w+)$", four_letter(self.port, "srvr", 1.0), re.M)
            return m.group(1) if m else None
        except OSError:
            return None

    def start(self, timeout=30.0):
        self.launch()
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited during start-up:\n" + self.log())
            if time.time() > deadline:
                self.kill()
                raise RuntimeError("the server did not start:\n" + self.log())
            if self.port == 0:
                for line in list(self.lines):
                    m = re.search(r"started verikeeper .* on [^ ]*:(\d+)", line)
                    if m:
                        self.port = int(m.group(1))
            if self.port != 0:
                try:
                    if "Zxid: 0x" in four_letter(self.port, "srvr", 1.0):
                        return self
                except OSError:
                    pass
            time.sleep(0.05)

    def _collect(self, proc):
        for raw in proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def log(self):
        return "\n".join(self.lines)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def destroy(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Ensemble:
    """Three members on loopback ports, started together."""

    def __init__(self, size=3):
        ports = [(free_port(), free_port(), free_port()) for _ in range(size)]
        lines = {"server.%d" % (i + 1): "127.0.0.1:%d:%d" % (q, e) for i, (_, q, e) in enumerate(ports)}
        settings = dict(tickTime=200, initLimit=10, syncLimit=5, **lines)
        self.members = [Server(settings, port=c, myid=i + 1) for i, (c, _, _) in enumerate(ports)]

    @property
    def hosts(self):
        return ",".join(m.hosts for m in self.members)

    def start(self, timeout=60.0):
        for m in self.members:
            m.launch()
        wait_until("every member serves", lambda: all(m.serving() for m in self.members), timeout)
        return self

    def leader(self):
        return wait_until("one leader", lambda: next((m for m in self.members if m.proc is not None and m.mode() == "leader"), None), 30.0)

    def destroy(self):
        for m in self.members:
            m.destroy()


@pytest.fixture(scope="session")
def server():
    s = Server()
    try:
        yield s.start()
    finally:
        s.destroy()


@pytest.fixture
def clients(server):
    """Makes started kazoo clients; stops and closes them after the test."""
    made = []

    def make(**kwargs):
        kwargs.setdefault("timeout", 10.0)
        c = KazooClient(hosts=server.hosts, **kwargs)
        c.start(timeout=15)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def zk(clients):
    return clients()


@pytest.fixture
def root(zk, request):
    """A fresh node for the test to work under."""
    path = "/" + re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)
    zk.ensure_path(path)
    return path


def wait_until(what, cond, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("%s: not within %.1f s" % (what, timeout))
        time.sleep(0.02)
