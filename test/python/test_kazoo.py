"""kazoo (Debian's python3-kazoo) against a verikeeper server process.

Run with `/usr/bin/python3 -m pytest test/python` after `make build`.
"""

import signal
import subprocess
import sys
import threading
import time

import pytest
from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.security import make_digest_acl

from conftest import four_letter, wait_until


# ---------------------------------------------------------------- znodes

def test_crud_with_versions(zk, root):
    p = root + "/node"
    assert zk.create(p, b"v0") == p
    data, stat = zk.get(p)
    assert data == b"v0" and stat.version == 0 and stat.dataLength == 2
    stat = zk.set(p, b"v1", version=0)
    assert stat.version == 1
    with pytest.raises(BadVersionError):
        zk.set(p, b"v2", version=0)
    assert zk.get(p)[0] == b"v1"
    with pytest.raises(NodeExistsError):
        zk.create(p)
    with pytest.raises(NoNodeError):
        zk.create(root + "/missing/child")
    zk.create(p + "/kid")
    with pytest.raises(NotEmptyError):
        zk.delete(p)
    assert zk.get_children(p) == ["kid"]
    children, parent = zk.get_children(p, include_data=True)
    assert children == ["kid"] and parent.numChildren == 1
    with pytest.raises(BadVersionError):
        zk.delete(p + "/kid", version=3)
    zk.delete(p + "/kid", version=0)
    zk.delete(p)
    assert zk.exists(p) is None
    with pytest.raises(NoNodeError):
        zk.get(p)


def test_ensure_path_and_recursive_delete(zk, root):
    deep = root + "/a/b/c/d"
    zk.ensure_path(deep)
    assert zk.exists(deep) is not None
    zk.ensure_path(deep)  # again: nothing to do
    zk.create(root + "/a/b/other", b"x")
    zk.delete(root + "/a", recursive=True)
    assert zk.exists(root + "/a") is None
    assert zk.get_children(root) == []


def test_sequential_and_ephemeral(zk, clients, root):
    first = zk.create(root + "/job-", b"", sequence=True)
    second = zk.create(root + "/job-", b"", sequence=True)
    assert first == root + "/job-0000000000"
    assert second == root + "/job-0000000001"

    other = clients()
    e = other.create(root + "/eph", b"x", ephemeral=True)
    es = other.create(root + "/eph-", b"x", ephemeral=True, sequence=True)
    assert es == root + "/eph-0000000003"
    assert zk.exists(e).ephemeralOwner == other.client_id[0]
    with pytest.raises(Exception) as info:
        other.create(e + "/child")
    assert type(info.value).__name__ == "NoChildrenForEphemeralsError"
    assert sorted(zk.get_children(root)) == ["eph", "eph-0000000003", "job-0000000000", "job-0000000001"]


def test_transactions_all_or_nothing(zk, root):
    zk.create(root + "/t", b"t0")
    zk.create(root + "/t/old")
    t = zk.transaction()
    t.create(root + "/t/new", b"n")
    t.set_data(root + "/t", b"t1", version=0)
    t.check(root + "/t", 1)
    t.delete(root + "/t/old")
    results = t.commit()
    assert results[0] == root + "/t/new"
    assert results[1].version == 1
    assert results[2] is True and results[3] is True
    assert sorted(zk.get_children(root + "/t")) == ["new"]

    bad = zk.transaction()
    bad.create(root + "/t/never", b"n")
    bad.check(root + "/t", 0)
    bad.set_data(root + "/t", b"t2")
    results = bad.commit()
    assert [type(r) for r in results] == [RolledBackError, BadVersionError, RuntimeInconsistency]
    assert zk.exists(root + "/t/never") is None
    assert zk.get(root + "/t")[0] == b"t1"


# ---------------------------------------------------------------- watches

def test_data_watch(zk, clients, root):
    p = root + "/watched"
    seen = []
    zk.DataWatch(p, lambda data, stat, *rest: seen.append((data, stat.version if stat else None)))
    other = clients()
    other.create(p, b"a")
    wait_until("created", lambda: (b"a", 0) in seen)
    other.set(p, b"b")
    wait_until("changed", lambda: (b"b", 1) in seen)
    other.delete(p)
    wait_until("deleted", lambda: seen[-1] == (None, None))
    assert seen == [(None, None), (b"a", 0), (b"b", 1), (None, None)]


def test_children_watch(zk, clients, root):
    lists = []
    zk.ChildrenWatch(root, lambda children: lists.append(sorted(children)))
    other = clients()
    other.create(root + "/x")
    wait_until("one child", lambda: ["x"] in lists)
    other.create(root + "/y", ephemeral=True)
    wait_until("two children", lambda: ["x", "y"] in lists)
    other.stop()
    wait_until("the ephemeral child gone with its session", lambda: lists[-1] == ["x"])
    assert lists[0] == []


# ---------------------------------------------------------------- recipes

def test_lock_is_exclusive_and_fair(clients, root):
    path = root + "/lock"
    counter = root + "/count"
    admin = clients()
    admin.create(counter, b"0")
    state = {"holder": None, "overlaps": 0}
    order = []
    errors = []

    def worker(i):
        try:
            c = clients()
            lock = c.Lock(path, "worker-%d" % i)
            for _ in range(3):
                with lock:
                    if state["holder"] is not None:
                        state["overlaps"] += 1
                    state["holder"] = i
                    order.append(int(lock.node[-10:]))
                    value = int(c.get(counter)[0])
                    time.sleep(0.005)
                    c.set(counter, str(value + 1).encode())
                    state["holder"] = None
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert state["overlaps"] == 0
    assert admin.get(counter)[0] == b"15"
    assert order == sorted(order) and len(order) == 15


def test_election_one_leader_at_a_time(clients, root):
    path = root + "/election"
    state = {"leader": None, "overlaps": 0}
    led = []

    def contender(i):
        c = clients()
        election = c.Election(path, "c%d" % i)

        def lead():
            if state["leader"] is not None:
                state["overlaps"] += 1
            state["leader"] = i
            led.append(i)
            time.sleep(0.05)
            state["leader"] = None

        election.run(lead)

    watcher = clients()
    threads = [threading.Thread(target=contender, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    wait_until("contenders listed", lambda: len(watcher.Election(path).contenders()) > 0)
    for t in threads:
        t.join(60)
    assert sorted(led) == [0, 1, 2, 3]
    assert state["overlaps"] == 0


def test_counter_from_many_clients(clients, root):
    path = root + "/counter"

    def add(n):
        c = clients()
        counter = c.Counter(path)
        for _ in range(n):
            counter += 1

    threads = [threading.Thread(target=add, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert clients().Counter(path).value == 40


def test_semaphore_limits_holders(clients, root):
    path = root + "/sem"
    state = {"now": 0, "most": 0}
    guard = threading.Lock()

    def holder(i):
        c = clients()
        with c.Semaphore(path, identifier="h%d" % i, max_leases=2):
            with guard:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.1)
            with guard:
                state["now"] -= 1

    threads = [threading.Thread(target=holder, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert state["most"] == 2
    assert state["now"] == 0


def test_barrier_and_double_barrier(zk, clients, root):
    barrier = zk.Barrier(root + "/barrier")
    barrier.create()
    assert zk.exists(root + "/barrier") is not None
    passed = []
    waiter = threading.Thread(target=lambda: passed.append(clients().Barrier(root + "/barrier").wait(20)))
    waiter.start()
    time.sleep(0.3)
    assert passed == []
    assert barrier.remove()
    waiter.join(20)
    assert passed == [True]

    entered = []

    def party(i):
        c = clients()
        b = c.DoubleBarrier(root + "/double", 3, identifier="p%d" % i)
        b.enter()
        entered.append(i)
        b.leave()

    threads = [threading.Thread(target=party, args=(i,)) for i in range(3)]
    threads[0].start()
    time.sleep(0.3)
    assert entered == []  # alone at the barrier: waits for the others
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(entered) == [0, 1, 2]


# ---------------------------------------------------------------- sessions

HOLDER = """
import sys, time
from kazoo.client import KazooClient
c = KazooClient(hosts=sys.argv[1], timeout=2.0)
c.start(timeout=15)
c.create(sys.argv[2], b"held", ephemeral=True)
print("ready", flush=True)
time.sleep(600)
"""


def test_session_of_a_killed_client_times_out(server, zk, root):
    p = root + "/held"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, server.hosts, p], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        owner = zk.exists(p).ephemeralOwner
        gone = threading.Event()
        zk.exists(p, watch=lambda event: gone.set())
        proc.send_signal(signal.SIGKILL)
        killed = time.time()
        time.sleep(0.8)
        # the session outlives its client until the 2 s timeout runs out
        assert zk.exists(p) is not None
        assert gone.wait(15)
        assert time.time() - killed >= 1.5
        assert zk.exists(p) is None
        assert ("0x%x" % owner) not in four_letter(server.port, "dump")
    finally:
        proc.kill()
        proc.wait()


def test_stop_closes_the_session_at_once(clients, zk, root):
    c = clients(timeout=10.0)
    c.create(root + "/mine", ephemeral=True)
    gone = threading.Event()
    zk.exists(root + "/mine", watch=lambda event: gone.set())
    stopped = time.time()
    c.stop()
    assert gone.wait(5)
    assert time.time() - stopped < 5  # not the 10 s timeout
    assert zk.exists(root + "/mine") is None


def test_expired_session_is_lost_and_replaced(server, clients, zk, root):
    c = clients(timeout=4.0)
    states = []
    c.add_listener(states.append)
    c.create(root + "/e", ephemeral=True)
    old = c.client_id
    # another client takes the session over and closes it (what kazoo's own
    # tests do to expire a session); c is told when it comes back
    for _ in range(10):
        other = KazooClient(hosts=server.hosts, client_id=old, timeout=4.0)
        try:
            other.start(timeout=5)
            other.stop()
        except Exception:
            pass
        finally:
            other.close()
        if KazooState.LOST in states:
            break
        time.sleep(0.2)
    wait_until("the client is told its session is lost", lambda: KazooState.LOST in states)
    wait_until("a new session", lambda: c.connected and c.client_id[0] != old[0], 15)
    assert zk.exists(root + "/e") is None
    c.create(root + "/e2", ephemeral=True)
    assert zk.exists(root + "/e2").ephemeralOwner == c.client_id[0]


# ---------------------------------------------------------------- ACLs and admin

def test_digest_acl(clients, zk, root):
    alice = clients(auth_data=[("digest", "alice:secret")])
    acl = [make_digest_acl("alice", "secret", all=True)]
    p = alice.create(root + "/private", b"for alice", acl=acl)
    assert alice.get(p)[0] == b"for alice"
    with pytest.raises(NoAuthError):
        zk.get(p)
    with pytest.raises(NoAuthError):
        zk.set(p, b"not yours")
    mallory = clients(auth_data=[("digest", "alice:guess")])
    with pytest.raises(NoAuthError):
        mallory.get(p)
    late = clients()
    late.add_auth("digest", "alice:secret")
    assert late.get(p)[0] == b"for alice"
    acls, _ = alice.get_acls(p)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "digest", acl[0].id.id)]


def test_server_version_from_envi(zk):
    version = zk.server_version()
    assert version[:2] == (3, 9)
    assert zk.command(b"ruok") == "imok"
