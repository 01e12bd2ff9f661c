// The benchmark workloads with Curator 5.4, for `npm run bench -- --vs-curator`.
// Usage: CuratorBench <connectString> <namespace> <W1..W6> <sizes-json>
// Prints {"phase":"ready"} once connected and warmed up, waits for a line on stdin, runs,
// prints one JSON line of figures, waits for another line, then closes its sessions.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class CuratorBench {
    static String cs, ns, sizes;
    static final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));

    static int size(String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(sizes);
        if (!m.find()) throw new IllegalArgumentException("missing size " + key);
        return Integer.parseInt(m.group(1));
    }

    static CuratorFramework client() throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(cs).namespace(ns).sessionTimeoutMs(10000)
                .connectionTimeoutMs(15000).retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
        c.start();
        c.blockUntilConnected(20, TimeUnit.SECONDS);
        return c;
    }

    static List<CuratorFramework> clients(int n) throws Exception {
        List<CuratorFramework> list = new ArrayList<>();
        for (int i = 0; i < n; i++) list.add(client());
        return list;
    }

    static double pct(List<Double> xs, double p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int i = (int) Math.min(s.size() - 1, Math.max(0, Math.ceil(p / 100 * s.size()) - 1));
        return s.get(i);
    }

    static double r(double v) {
        return Math.abs(v) < 10 ? Math.round(v * 1000) / 1000.0 : Math.round(v * 10) / 10.0;
    }

    static void ready() throws Exception {
        System.out.println("{\"phase\":\"ready\"}");
        System.out.flush();
        in.readLine();
    }

    static void done(String json, List<CuratorFramework> toClose) throws Exception {
        System.out.println(json);
        System.out.flush();
        in.readLine();
        for (CuratorFramework c : toClose) c.close();
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /** CPU time of the whole JVM (every thread, JIT and GC included), like Node's process.cpuUsage(). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Warm-up cycles before every measured workload (both libraries get the same). */
    static int warmup() {
        return size("warmup");
    }

    public static void main(String[] args) throws Exception {
        cs = args[0];
        ns = args[1];
        String w = args[2];
        sizes = args[3];
        switch (w) {
            case "W1": w1(); break;
            case "W2": w2(); break;
            case "W3": w3(); break;
            case "W4": w4(); break;
            case "W5": w5(); break;
            case "W6": w6(); break;
            case "C1": c1(); break;
            case "C2": c2(); break;
            default: throw new IllegalArgumentException(w);
        }
        System.exit(0);
    }

    static void w1() throws Exception {
        int cycles = size("w1Cycles");
        CuratorFramework c = client();
        InterProcessMutex m = new InterProcessMutex(c, "/w1");
        for (int i = 0; i < warmup(); i++) { m.acquire(); m.release(); }
        ready();
        List<Double> acq = new ArrayList<>(), rel = new ArrayList<>();
        long cpu0 = cpuNanos();
        long start = System.nanoTime();
        for (int i = 0; i < cycles; i++) {
            long t0 = System.nanoTime();
            m.acquire();
            long t1 = System.nanoTime();
            m.release();
            acq.add((t1 - t0) / 1e6);
            rel.add(ms(t1));
        }
        double total = ms(start);
        double cpuUs = (cpuNanos() - cpu0) / 1e3 / cycles;
        done(String.format("{\"cyclesPerSec\":%s,\"acquireP50Ms\":%s,\"acquireP99Ms\":%s,\"releaseP50Ms\":%s,\"releaseP99Ms\":%s,\"clientCpuUsPerCycle\":%s}",
                r(cycles / total * 1000), r(pct(acq, 50)), r(pct(acq, 99)), r(pct(rel, 50)), r(pct(rel, 99)), r(cpuUs)), List.of(c));
    }

    static void w2() throws Exception {
        int sessions = size("w2Sessions"), cycles = size("w2Cycles");
        List<CuratorFramework> cl = clients(sessions);
        AtomicInteger inside = new AtomicInteger(), violations = new AtomicInteger();
        List<Double> waits = Collections.synchronizedList(new ArrayList<>());
        contend(cl, Math.max(1, warmup() / sessions), inside, violations, null); // warm-up, same code path
        ready();
        long cpu0 = cpuNanos();
        long start = System.nanoTime();
        contend(cl, cycles, inside, violations, waits);
        double total = ms(start);
        double cpuUs = (cpuNanos() - cpu0) / 1e3 / (sessions * cycles);
        done(String.format("{\"handoffsPerSec\":%s,\"waitP50Ms\":%s,\"waitP99Ms\":%s,\"violations\":%d,\"clientCpuUsPerHandoff\":%s}",
                r(sessions * cycles / total * 1000), r(pct(waits, 50)), r(pct(waits, 99)), violations.get(), r(cpuUs)), cl);
    }

    /** Every session takes the mutex `cycles` times; the exclusion check yields inside the critical section so it can fail. */
    static void contend(List<CuratorFramework> cl, int cycles, AtomicInteger inside, AtomicInteger violations, List<Double> waits) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (CuratorFramework c : cl) {
            Thread t = new Thread(() -> {
                try {
                    InterProcessMutex m = new InterProcessMutex(c, "/w2");
                    for (int i = 0; i < cycles; i++) {
                        long t0 = System.nanoTime();
                        m.acquire();
                        if (waits != null) waits.add(ms(t0));
                        if (inside.incrementAndGet() > 1) violations.incrementAndGet();
                        Thread.yield();
                        inside.decrementAndGet();
                        m.release();
                    }
                } catch (Exception e) { throw new RuntimeException(e); }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
    }

    static void w3() throws Exception {
        int n = size("w3Waiters");
        List<CuratorFramework> cl = clients(n + 1);
        InterProcessMutex holder = new InterProcessMutex(cl.get(0), "/w3");
        holder.acquire();
        List<Double> granted = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(n);
        for (int i = 1; i <= n; i++) {
            CuratorFramework c = cl.get(i);
            new Thread(() -> {
                try {
                    InterProcessMutex m = new InterProcessMutex(c, "/w3");
                    m.acquire();
                    granted.add(System.nanoTime() / 1e6);
                    m.release();
                    all.countDown();
                } catch (Exception e) { throw new RuntimeException(e); }
            }).start();
        }
        while (holder.getParticipantNodes().size() < n + 1) Thread.sleep(20);
        Thread.sleep(500); // every waiter has its watch set by now
        ready();
        double releasedAt = System.nanoTime() / 1e6;
        long start = System.nanoTime();
        holder.release();
        all.await();
        double total = ms(start);
        List<Double> g = new ArrayList<>(granted);
        Collections.sort(g);
        List<Double> handoffs = new ArrayList<>();
        handoffs.add(g.get(0) - releasedAt);
        for (int i = 1; i < g.size(); i++) handoffs.add(g.get(i) - g.get(i - 1));
        double mean = handoffs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        done(String.format("{\"waiters\":%d,\"drainMs\":%s,\"handoffMeanMs\":%s,\"handoffP99Ms\":%s}", n, r(total), r(mean), r(pct(handoffs, 99))), cl);
    }

    static void w4() throws Exception {
        int sessions = size("w4Sessions"), cycles = size("w4Cycles");
        List<CuratorFramework> cl = clients(sessions);
        ready();
        AtomicInteger inside = new AtomicInteger(), max = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (CuratorFramework c : cl) {
            Thread t = new Thread(() -> {
                try {
                    InterProcessSemaphoreV2 s = new InterProcessSemaphoreV2(c, "/w4", 3);
                    for (int i = 0; i < cycles; i++) {
                        Lease l = s.acquire();
                        max.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.sleep(5);
                        inside.decrementAndGet();
                        s.returnLease(l);
                    }
                } catch (Exception e) { throw new RuntimeException(e); }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
        done(String.format("{\"totalMs\":%s,\"maxConcurrentHolders\":%d}", r(ms(start)), max.get()), cl);
    }

    static void w5() throws Exception {
        int rounds = size("w5Rounds");
        List<CuratorFramework> cl = new ArrayList<>(clients(5));
        List<LeaderLatch> latches = new ArrayList<>();
        for (CuratorFramework c : cl) { LeaderLatch l = new LeaderLatch(c, "/w5"); l.start(); latches.add(l); }
        ready();
        List<Double> failovers = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            int leader = -1;
            while (leader < 0) {
                for (int i = 0; i < latches.size(); i++) if (latches.get(i).hasLeadership()) leader = i;
                if (leader < 0) Thread.sleep(1);
            }
            CuratorFramework lc = cl.remove(leader);
            latches.remove(leader);
            // End the session at the ZooKeeper level (Curator's own close() also waits for its
            // background threads, which is not failover time), then measure.
            long t0 = System.nanoTime();
            lc.getZookeeperClient().getZooKeeper().close();
            boolean found = false;
            while (!found) {
                for (LeaderLatch l : latches) if (l.hasLeadership()) found = true;
                if (!found) Thread.sleep(0, 200000);
            }
            failovers.add(ms(t0));
            lc.close();
            CuratorFramework fresh = client();
            LeaderLatch l = new LeaderLatch(fresh, "/w5");
            l.start();
            cl.add(fresh);
            latches.add(l);
        }
        for (LeaderLatch l : latches) l.close();
        done(String.format("{\"failoverP50Ms\":%s,\"failoverP90Ms\":%s}", r(pct(failovers, 50)), r(pct(failovers, 90))), cl);
    }

    static void w6() throws Exception {
        int flows = size("w6Flows"), cycles = size("w6Cycles");
        CuratorFramework c = client();
        InterProcessMutex m = new InterProcessMutex(c, "/w6"); // one object shared by threads
        AtomicInteger inside = new AtomicInteger(), violations = new AtomicInteger();
        flows(m, flows, Math.max(1, warmup() / flows), inside, violations); // warm-up
        ready();
        long cpu0 = cpuNanos();
        long start = System.nanoTime();
        flows(m, flows, cycles, inside, violations);
        double total = ms(start);
        double cpuUs = (cpuNanos() - cpu0) / 1e3 / (flows * cycles);
        done(String.format("{\"handoffsPerSec\":%s,\"violations\":%d,\"clientCpuUsPerHandoff\":%s}", r(flows * cycles / total * 1000), violations.get(), r(cpuUs)), List.of(c));
    }

    static void flows(InterProcessMutex m, int flows, int cycles, AtomicInteger inside, AtomicInteger violations) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int f = 0; f < flows; f++) {
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < cycles; i++) {
                        m.acquire();
                        if (inside.incrementAndGet() > 1) violations.incrementAndGet();
                        Thread.yield();
                        inside.decrementAndGet();
                        m.release();
                    }
                } catch (Exception e) { throw new RuntimeException(e); }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
    }

    static long usedHeap() {
        for (int i = 0; i < 3; i++) System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    static void startAndWait(CuratorCache cache) throws Exception {
        CountDownLatch initialized = new CountDownLatch(1);
        cache.listenable().addListener(CuratorCacheListener.builder().forInitialized(initialized::countDown).build());
        cache.start();
        initialized.await(300, TimeUnit.SECONDS);
    }

    // C1: CuratorCache start() until initialized on the prepared tree (bench/cache-workloads.ts).
    static void c1() throws Exception {
        CuratorFramework c = client();
        CuratorCache warm = CuratorCache.build(c, "/warm");
        startAndWait(warm);
        warm.close();
        long heap0 = usedHeap();
        ready();
        long start = System.nanoTime();
        CuratorCache cache = CuratorCache.build(c, "/c1");
        startAndWait(cache);
        double loadMs = ms(start);
        long nodes = cache.size();
        double heapPerNode = (usedHeap() - heap0) / (double) nodes;
        done(String.format("{\"loadMs\":%s,\"nodes\":%d,\"heapBytesPerNode\":%s}", r(loadMs), nodes, r(heapPerNode)), List.of(c));
        cache.close();
    }

    // C2: a writer session sets random nodes at ~1,000/s with its send time as data; event latency.
    static void c2() throws Exception {
        CuratorFramework reader = client(), writer = client();
        CuratorCache cache = CuratorCache.build(reader, "/c2");
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forChanges((before, after) -> latencies.add((System.nanoTime() - Long.parseLong(new String(after.getData()))) / 1e6)).build());
        startAndWait(cache);
        List<String> paths = new ArrayList<>();
        cache.stream().map(ChildData::getPath).filter(p -> p.contains("/n")).forEach(paths::add);
        java.util.Map<String, String> finals = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Random random = new java.util.Random();
        writes(writer, paths, finals, random, 500); // warm-up
        Thread.sleep(500);
        latencies.clear();
        ready();
        int count = size("c2Writes");
        writes(writer, paths, finals, random, count);
        long until = System.nanoTime() + 5_000_000_000L;
        int missed;
        do {
            missed = 0;
            for (java.util.Map.Entry<String, String> e : finals.entrySet()) {
                if (!cache.get(e.getKey()).map(d -> new String(d.getData()).equals(e.getValue())).orElse(false)) missed++;
            }
            if (missed > 0) Thread.sleep(5);
        } while (missed > 0 && System.nanoTime() < until);
        done(String.format("{\"eventP50Ms\":%s,\"eventP99Ms\":%s,\"missedFinalStates\":%d}", r(pct(latencies, 50)), r(pct(latencies, 99)), missed), List.of(reader, writer));
        cache.close();
    }

    static void writes(CuratorFramework writer, List<String> paths, java.util.Map<String, String> finals, java.util.Random random, int count) throws Exception {
        long begin = System.nanoTime();
        CountDownLatch answered = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            long due = begin + i * 1_000_000L;
            long wait = due - System.nanoTime();
            if (wait > 1_000_000L) Thread.sleep(wait / 1_000_000L);
            String path = paths.get(random.nextInt(paths.size()));
            String value = String.valueOf(System.nanoTime());
            finals.put(path, value);
            writer.setData().inBackground((cl, ev) -> answered.countDown()).forPath(path, value.getBytes());
        }
        answered.await(60, TimeUnit.SECONDS);
    }
}
