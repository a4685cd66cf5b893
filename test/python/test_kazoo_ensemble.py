"""kazoo against a three-member ensemble: the leader is killed under a
write load; a new leader is elected, the client given every member's
address carries on, and every acknowledged write is on the survivors."""

import threading

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

from conftest import Ensemble, wait_until


def test_leader_killed_under_load():
    e = Ensemble().start()
    client = None
    try:
        old = e.leader()
        client = KazooClient(hosts=e.hosts, timeout=10.0)
        client.start(timeout=15)
        client.ensure_path("/load")
        acked = []
        failed = []
        stop = threading.Event()

        def write():
            i = 0
            while not stop.is_set():
                try:
                    acked.append(client.create("/load/n%d" % i, b"v"))
                except KazooException as ex:
                    failed.append(ex)
                    stop.wait(0.02)
                i += 1

        t = threading.Thread(target=write, daemon=True)
        t.start()
        wait_until("writes before the kill", lambda: len(acked) >= 50, 20.0)
        before = len(acked)
        old.kill()
        wait_until("a new leader", lambda: any(m.proc is not None and m.mode() == "leader" for m in e.members), 30.0)
        wait_until("writes after the kill", lambda: len(acked) >= before + 50, 30.0)
        stop.set()
        t.join(10)
        for m in e.members:
            if m.proc is None:
                continue
            reader = KazooClient(hosts=m.hosts, timeout=10.0)
            reader.start(timeout=15)
            try:
                reader.sync("/load")
                present = set(reader.get_children("/load"))
                missing = [p for p in acked if p.rsplit("/", 1)[1] not in present]
                assert missing == [], "member on port %d misses %r" % (m.port, missing[:5])
            finally:
                reader.stop()
                reader.close()
        assert len(failed) < len(acked)
    finally:
        if client is not None:
            client.stop()
            client.close()
        e.destroy()
