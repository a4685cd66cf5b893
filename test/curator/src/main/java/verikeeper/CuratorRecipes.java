package verikeeper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.queue.SimpleDistributedQueue;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;

/**
 * Runs Apache Curator's everyday recipes against a server given as
 * host:port and prints "ok <recipe>" for each that behaves as documented.
 * Any failure ends the program with a non-zero status and the reason.
 */
public final class CuratorRecipes {
    private static String connect;

    private static CuratorFramework client() throws InterruptedException {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(10000)
                .connectionTimeoutMs(5000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5))
                .build();
        c.start();
        if (!c.blockUntilConnected(10, TimeUnit.SECONDS)) throw new AssertionError("no connection to " + connect);
        return c;
    }

    private static void waitFor(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long until = System.currentTimeMillis() + 10000;
        while (!ok.getAsBoolean() && System.currentTimeMillis() < until) Thread.sleep(10);
        check(ok.getAsBoolean(), what);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--failover")) {
            connect = args[1];
            failover();
            System.exit(0);
        }
        connect = args[0];
        mutex();
        leaderLatch();
        atomicLong();
        cache();
        ephemeralNode();
        sharedCount();
        semaphore();
        doubleBarrier();
        queue();
        containers();
        System.out.println("all recipes ok");
        System.exit(0);
    }

    /** Three clients take an InterProcessMutex in turn; no two ever hold it at once. */
    static void mutex() throws Exception {
        List<CuratorFramework> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) clients.add(client());
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger rounds = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> done = new ArrayList<>();
        for (CuratorFramework c : clients) {
            done.add(pool.submit(() -> {
                InterProcessMutex lock = new InterProcessMutex(c, "/recipes/mutex");
                for (int i = 0; i < 10; i++) {
                    if (!lock.acquire(10, TimeUnit.SECONDS)) throw new AssertionError("mutex not acquired in 10 s");
                    try {
                        if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
                        Thread.sleep(2);
                        rounds.incrementAndGet();
                        inside.decrementAndGet();
                    } finally {
                        lock.release();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        check(overlaps.get() == 0, "mutex held by two clients at once");
        check(rounds.get() == 30, "mutex rounds: " + rounds.get());
        check(clients.get(0).getChildren().forPath("/recipes/mutex").isEmpty(), "mutex nodes left behind");
        for (CuratorFramework c : clients) c.close();
        System.out.println("ok InterProcessMutex");
    }

    /**
     * An ensemble loses a member while three clients (given every member's
     * address) hold a LeaderLatch each and take an InterProcessMutex in
     * turn. Prints "ready" once a latch leads and the mutex turns, then reads
     * a line from stdin (the member is gone), and checks that the mutex goes
     * on turning without ever being held twice and that one latch leads.
     */
    static void failover() throws Exception {
        // every mutex round and every change of latch leadership notifies this monitor
        Object changed = new Object();
        Runnable signal = () -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        };
        List<CuratorFramework> clients = new ArrayList<>();
        List<LeaderLatch> latches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CuratorFramework c = client();
            clients.add(c);
            LeaderLatch l = new LeaderLatch(c, "/failover/leader", "p" + i);
            l.addListener(new org.apache.curator.framework.recipes.leader.LeaderLatchListener() {
                @Override
                public void isLeader() {
                    signal.run();
                }

                @Override
                public void notLeader() {
                    signal.run();
                }
            });
            latches.add(l);
            l.start();
        }
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger rounds = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            CuratorFramework c = clients.get(i);
            byte[] me = ("p" + i).getBytes(StandardCharsets.UTF_8);
            done.add(pool.submit(() -> {
                InterProcessMutex lock = new InterProcessMutex(c, "/failover/mutex");
                while (!stop.get()) {
                    boolean held = false;
                    try {
                        held = lock.acquire(2, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // the connection was lost while waiting: wait for it to come back, then try again
                        c.blockUntilConnected(30, TimeUnit.SECONDS);
                        continue;
                    }
                    if (!held) continue;
                    try {
                        if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
                        // a round trip while holding the lock: nobody else writes the holder meanwhile
                        c.create().orSetData().creatingParentsIfNeeded().forPath("/failover/holder", me);
                        if (!java.util.Arrays.equals(c.getData().forPath("/failover/holder"), me)) overlaps.incrementAndGet();
                        inside.decrementAndGet();
                        rounds.incrementAndGet();
                        signal.run();
                    } catch (Exception e) {
                        // the connection went while holding the lock: this round does not count
                        inside.decrementAndGet();
                    } finally {
                        try {
                            lock.release();
                        } catch (Exception e) {
                            // the session keeps the node until it is released or the session ends
                        }
                    }
                }
                return null;
            }));
        }
        java.util.function.BooleanSupplier oneLeader = () -> latches.stream().filter(LeaderLatch::hasLeadership).count() == 1;
        awaitChange(changed, oneLeader, 10000, "no latch leader before the failover");
        awaitChange(changed, () -> rounds.get() >= 20, 10000, "the mutex does not turn before the failover");
        System.out.println("ready");
        System.out.flush();
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        int at = rounds.get();
        awaitChange(changed, () -> rounds.get() >= at + 30, 45000, "the mutex stopped turning after the failover");
        awaitChange(changed, oneLeader, 30000, "not exactly one latch leader after the failover");
        stop.set(true);
        for (Future<?> f : done) f.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        check(overlaps.get() == 0, "mutex held by two clients at once: " + overlaps.get() + " times");
        for (LeaderLatch l : latches) l.close();
        for (CuratorFramework c : clients) c.close();
        System.out.println("ok failover (" + rounds.get() + " mutex rounds)");
    }

    /** Waits until `ok` holds, woken by each notification of `monitor`; fails after `ms` without it. */
    private static void awaitChange(Object monitor, java.util.function.BooleanSupplier ok, long ms, String what) throws InterruptedException {
        long until = System.currentTimeMillis() + ms;
        synchronized (monitor) {
            for (long left = ms; !ok.getAsBoolean() && left > 0; left = until - System.currentTimeMillis()) monitor.wait(left);
        }
        check(ok.getAsBoolean(), what);
    }

    /** Three LeaderLatches elect one leader; when it leaves, another takes over. */
    static void leaderLatch() throws Exception {
        List<CuratorFramework> clients = new ArrayList<>();
        List<LeaderLatch> latches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CuratorFramework c = client();
            clients.add(c);
            LeaderLatch l = new LeaderLatch(c, "/recipes/leader", "p" + i);
            latches.add(l);
            l.start();
        }
        LeaderLatch leader = null;
        long until = System.currentTimeMillis() + 10000;
        while (leader == null && System.currentTimeMillis() < until) {
            int count = 0;
            for (LeaderLatch l : latches) if (l.hasLeadership()) { leader = l; count++; }
            check(count <= 1, "two leaders at once");
            if (leader == null) Thread.sleep(20);
        }
        check(leader != null, "no leader elected");
        String first = leader.getId();
        check(latches.get(0).getLeader().getId().equals(first), "participants disagree on the leader");
        int index = latches.indexOf(leader);
        leader.close();
        clients.get(index).close();
        LeaderLatch next = null;
        until = System.currentTimeMillis() + 10000;
        while (next == null && System.currentTimeMillis() < until) {
            for (int i = 0; i < 3; i++) if (i != index && latches.get(i).hasLeadership()) next = latches.get(i);
            if (next == null) Thread.sleep(20);
        }
        check(next != null && !next.getId().equals(first), "no new leader after the first left");
        for (int i = 0; i < 3; i++) if (i != index) { latches.get(i).close(); clients.get(i).close(); }
        System.out.println("ok LeaderLatch");
    }

    /** DistributedAtomicLong: concurrent increments from two clients all count. */
    static void atomicLong() throws Exception {
        CuratorFramework a = client(), b = client();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> done = new ArrayList<>();
        for (CuratorFramework c : List.of(a, b)) {
            done.add(pool.submit(() -> {
                DistributedAtomicLong n = new DistributedAtomicLong(c, "/recipes/counter", new RetryNTimes(1000, 1));
                for (int i = 0; i < 50; i++) {
                    AtomicValue<Long> v = n.increment();
                    if (!v.succeeded()) throw new AssertionError("increment failed");
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        long value = new DistributedAtomicLong(a, "/recipes/counter", new RetryNTimes(3, 10)).get().postValue();
        check(value == 100, "counter is " + value + ", not 100");
        a.close();
        b.close();
        System.out.println("ok DistributedAtomicLong");
    }

    /** CuratorCache (a persistent recursive watch) sees creates, changes and deletes below its root. */
    static void cache() throws Exception {
        CuratorFramework c = client(), writer = client();
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch deleted = new CountDownLatch(1);
        CountDownLatch primed = new CountDownLatch(1);
        writer.create().creatingParentsIfNeeded().forPath("/recipes/cache/seed", "s".getBytes(StandardCharsets.UTF_8));
        CuratorCache cache = CuratorCache.build(c, "/recipes/cache");
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> events.add("create " + n.getPath()))
                .forChanges((o, n) -> events.add("change " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
                .forDeletes(n -> { events.add("delete " + n.getPath()); if (n.getPath().endsWith("/b/c")) deleted.countDown(); })
                .forInitialized(primed::countDown)
                .build());
        cache.start();
        check(primed.await(10, TimeUnit.SECONDS), "cache not initialised");
        // the cache reads a node after its event, so each step waits for the previous one to be seen
        writer.create().creatingParentsIfNeeded().forPath("/recipes/cache/b/c", "1".getBytes(StandardCharsets.UTF_8));
        waitFor(() -> events.contains("create /recipes/cache/b/c"), "cache missed the create: " + events);
        writer.setData().forPath("/recipes/cache/b/c", "2".getBytes(StandardCharsets.UTF_8));
        waitFor(() -> events.contains("change /recipes/cache/b/c 2"), "cache missed the change: " + events);
        writer.delete().forPath("/recipes/cache/b/c");
        check(deleted.await(10, TimeUnit.SECONDS), "cache missed the delete: " + events);
        check(events.contains("create /recipes/cache/b/c"), "cache missed the create: " + events);
        check(events.contains("change /recipes/cache/b/c 2"), "cache missed the change: " + events);
        check(cache.get("/recipes/cache/seed").isPresent(), "cache lost the seed node");
        cache.close();
        c.close();
        writer.close();
        System.out.println("ok CuratorCache");
    }

    /** An ephemeral PersistentNode exists while its client lives and is gone after it closes. */
    static void ephemeralNode() throws Exception {
        CuratorFramework owner = client(), observer = client();
        PersistentNode node = new PersistentNode(owner, CreateMode.EPHEMERAL, false, "/recipes/members/m1", "here".getBytes(StandardCharsets.UTF_8));
        node.start();
        check(node.waitForInitialCreate(10, TimeUnit.SECONDS), "ephemeral node not created");
        Stat stat = observer.checkExists().forPath("/recipes/members/m1");
        check(stat != null && stat.getEphemeralOwner() == owner.getZookeeperClient().getZooKeeper().getSessionId(), "ephemeral owner wrong");
        node.close();
        owner.close();
        long until = System.currentTimeMillis() + 10000;
        while (observer.checkExists().forPath("/recipes/members/m1") != null && System.currentTimeMillis() < until) Thread.sleep(20);
        check(observer.checkExists().forPath("/recipes/members/m1") == null, "ephemeral node outlived its session");
        observer.close();
        System.out.println("ok PersistentNode (ephemeral)");
    }

    /** SharedCount: a versioned compare-and-set seen by a second client's listener. */
    static void sharedCount() throws Exception {
        CuratorFramework a = client(), b = client();
        SharedCount ca = new SharedCount(a, "/recipes/shared", 0);
        SharedCount cb = new SharedCount(b, "/recipes/shared", 0);
        ca.start();
        cb.start();
        CountDownLatch seen = new CountDownLatch(1);
        cb.addListener(new org.apache.curator.framework.recipes.shared.SharedCountListener() {
            public void countHasChanged(org.apache.curator.framework.recipes.shared.SharedCountReader r, int v) { if (v == 7) seen.countDown(); }
            public void stateChanged(CuratorFramework c, org.apache.curator.framework.state.ConnectionState s) { }
        });
        var stale = cb.getVersionedValue();
        check(ca.trySetCount(ca.getVersionedValue(), 7), "compare-and-set failed");
        check(!cb.trySetCount(stale, 9), "stale compare-and-set succeeded");
        check(seen.await(10, TimeUnit.SECONDS), "listener did not see 7");
        ca.close();
        cb.close();
        a.close();
        b.close();
        System.out.println("ok SharedCount");
    }

    /** InterProcessSemaphoreV2 with 2 leases among 4 holders: never more than 2 at once. */
    static void semaphore() throws Exception {
        List<CuratorFramework> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) clients.add(client());
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (CuratorFramework c : clients) {
            done.add(pool.submit(() -> {
                InterProcessSemaphoreV2 sem = new InterProcessSemaphoreV2(c, "/recipes/semaphore", 2);
                for (int i = 0; i < 5; i++) {
                    Lease lease = sem.acquire(10, TimeUnit.SECONDS);
                    if (lease == null) throw new AssertionError("no lease in 10 s");
                    try {
                        int h = holders.incrementAndGet();
                        most.accumulateAndGet(h, Math::max);
                        Thread.sleep(3);
                        holders.decrementAndGet();
                    } finally {
                        sem.returnLease(lease);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        check(most.get() <= 2, "semaphore let " + most.get() + " in at once");
        for (CuratorFramework c : clients) c.close();
        System.out.println("ok InterProcessSemaphoreV2");
    }

    /** DistributedDoubleBarrier: three members enter together and leave together. */
    static void doubleBarrier() throws Exception {
        List<CuratorFramework> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) clients.add(client());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Boolean>> done = new ArrayList<>();
        for (CuratorFramework c : clients) {
            done.add(pool.submit(() -> {
                DistributedDoubleBarrier b = new DistributedDoubleBarrier(c, "/recipes/barrier", 3);
                return b.enter(20, TimeUnit.SECONDS) && b.leave(20, TimeUnit.SECONDS);
            }));
        }
        for (Future<Boolean> f : done) check(f.get(60, TimeUnit.SECONDS), "barrier timed out");
        pool.shutdown();
        for (CuratorFramework c : clients) c.close();
        System.out.println("ok DistributedDoubleBarrier");
    }

    /** SimpleDistributedQueue: FIFO between a producer and a consumer. */
    static void queue() throws Exception {
        CuratorFramework p = client(), q = client();
        SimpleDistributedQueue producer = new SimpleDistributedQueue(p, "/recipes/queue");
        SimpleDistributedQueue consumer = new SimpleDistributedQueue(q, "/recipes/queue");
        List<String> got = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 5; i++) check(producer.offer(("m" + i).getBytes(StandardCharsets.UTF_8)), "offer failed");
        for (int i = 0; i < 5; i++) got.add(new String(consumer.take(), StandardCharsets.UTF_8));
        check(got.equals(List.of("m0", "m1", "m2", "m3", "m4")), "queue order " + got);
        p.close();
        q.close();
        System.out.println("ok SimpleDistributedQueue");
    }

    /** creatingParentContainersIfNeeded makes container parents, which the server removes once empty. */
    static void containers() throws Exception {
        CuratorFramework c = client();
        c.create().creatingParentContainersIfNeeded().forPath("/recipes/containers/parent/child");
        Stat parent = c.checkExists().forPath("/recipes/containers/parent");
        check(parent != null, "container parent missing");
        c.delete().forPath("/recipes/containers/parent/child");
        long until = System.currentTimeMillis() + 20000;
        while (c.checkExists().forPath("/recipes/containers/parent") != null && System.currentTimeMillis() < until) Thread.sleep(100);
        check(c.checkExists().forPath("/recipes/containers/parent") == null, "empty container not removed");
        c.close();
        System.out.println("ok containers");
    }
}
