// A Curator 5.x peer for zk-recipes' interop tests, driven over stdin/stdout.
//
// Usage: java -cp <curator+zookeeper jars>:<dir> CuratorPeer <connectString> <namespace-without-slash> [digest:user:password]
// With the third argument the peer authenticates with that digest user and creates every node
// with an ACL for that user alone (an ACLProvider), as a secured deployment would.
// Requests, one per line:  <requestId> <handle> <op> [args...]
// Answers, one JSON line:  {"id":"<requestId>","ok":true,...} or {"id":..,"ok":false,"error":".."}
// Every handle has its own thread, so Curator's per-thread lock ownership holds: the thread that
// acquired a mutex is the one that releases it. Handles run concurrently with each other.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.locks.Revoker;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public class CuratorPeer {
    static CuratorFramework client;
    static final Map<String, ExecutorService> threads = new ConcurrentHashMap<>();
    static final Map<String, Object> objects = new ConcurrentHashMap<>();
    static final Map<String, Object> extras = new ConcurrentHashMap<>();
    static final Object out = new Object();

    public static void main(String[] args) throws Exception {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(args[0])
                .namespace(args.length > 1 && !args[1].isEmpty() ? args[1] : null)
                .sessionTimeoutMs(4000)
                .connectionTimeoutMs(10000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5));
        if (args.length > 2 && args[2].startsWith("digest:")) {
            String credentials = args[2].substring("digest:".length());
            // A mutable list: ZooKeeper.validateACL calls contains(null), which List.of refuses.
            List<ACL> acl = new ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", DigestAuthenticationProvider.generateDigest(credentials)))));
            builder.authorization("digest", credentials.getBytes(StandardCharsets.UTF_8)).aclProvider(new ACLProvider() {
                public List<ACL> getDefaultAcl() { return acl; }
                public List<ACL> getAclForPath(String path) { return acl; }
            });
        }
        client = builder.build();
        client.start();
        if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) {
            System.err.println("peer: could not connect to " + args[0]);
            System.exit(2);
        }
        reply("ready", "\"ok\":true");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.trim().split(" ");
            if (parts.length < 3) continue;
            String id = parts[0], handle = parts[1], op = parts[2];
            if (op.equals("quit")) break;
            threads.computeIfAbsent(handle, h -> Executors.newSingleThreadExecutor()).submit(() -> {
                try {
                    reply(id, "\"ok\":true" + run(handle, op, parts));
                } catch (Throwable e) {
                    e.printStackTrace(); // into the peer's log
                    reply(id, "\"ok\":false,\"error\":" + str(e.getClass().getSimpleName() + ": " + e.getMessage()));
                }
            });
        }
        for (ExecutorService e : threads.values()) e.shutdownNow();
        client.close();
        System.exit(0);
    }

    static String arg(String[] parts, int i) {
        return parts.length > i ? parts[i] : null;
    }

    static String run(String handle, String op, String[] p) throws Exception {
        switch (op) {
            case "mutex-acquire": {
                InterProcessMutex m = (InterProcessMutex) objects.computeIfAbsent(handle, h -> new InterProcessMutex(client, p[3]));
                long timeout = p.length > 4 ? Long.parseLong(p[4]) : -1;
                boolean got = timeout < 0 ? acquireForever(m) : m.acquire(timeout, TimeUnit.MILLISECONDS);
                return ",\"acquired\":" + got;
            }
            case "mutex-release":
                ((InterProcessMutex) objects.get(handle)).release();
                return "";
            case "mutex-revocable": {
                InterProcessMutex m = (InterProcessMutex) objects.computeIfAbsent(handle, h -> new InterProcessMutex(client, p[3]));
                AtomicBoolean revoked = new AtomicBoolean(false);
                extras.put(handle + ":revoked", revoked);
                m.makeRevocable(lock -> revoked.set(true));
                m.acquire();
                return "";
            }
            case "revoked?":
                return ",\"revoked\":" + ((AtomicBoolean) extras.get(handle + ":revoked")).get();
            case "revoke":
                Revoker.attemptRevoke(client, p[3]);
                return "";
            case "participants": {
                InterProcessMutex m = new InterProcessMutex(client, p[3]);
                return ",\"nodes\":" + strings(m.getParticipantNodes());
            }
            case "rw-read":
            case "rw-write": {
                InterProcessReadWriteLock rw = (InterProcessReadWriteLock) objects.computeIfAbsent(handle, h -> new InterProcessReadWriteLock(client, p[3]));
                InterProcessMutex m = op.equals("rw-read") ? rw.readLock() : rw.writeLock();
                long timeout = p.length > 4 ? Long.parseLong(p[4]) : -1;
                boolean got = timeout < 0 ? acquireForever(m) : m.acquire(timeout, TimeUnit.MILLISECONDS);
                return ",\"acquired\":" + got;
            }
            case "rw-read-release":
                ((InterProcessReadWriteLock) objects.get(handle)).readLock().release();
                return "";
            case "rw-write-release":
                ((InterProcessReadWriteLock) objects.get(handle)).writeLock().release();
                return "";
            case "sem-acquire": {
                InterProcessSemaphoreV2 s = (InterProcessSemaphoreV2) objects.computeIfAbsent(handle, h -> new InterProcessSemaphoreV2(client, p[3], Integer.parseInt(p[4])));
                long timeout = p.length > 5 ? Long.parseLong(p[5]) : -1;
                Lease lease = timeout < 0 ? s.acquire() : s.acquire(timeout, TimeUnit.MILLISECONDS);
                if (lease == null) return ",\"acquired\":false";
                extras.put(handle + ":lease", lease);
                return ",\"acquired\":true,\"node\":" + str(lease.getNodeName());
            }
            case "sem-release":
                ((Lease) extras.remove(handle + ":lease")).close();
                return "";
            case "latch-start": {
                LeaderLatch l = new LeaderLatch(client, p[3], p[4]);
                objects.put(handle, l);
                l.start();
                return "";
            }
            case "latch-leader?":
                return ",\"leader\":" + ((LeaderLatch) objects.get(handle)).hasLeadership();
            case "latch-await": {
                boolean got = ((LeaderLatch) objects.get(handle)).await(Long.parseLong(p[3]), TimeUnit.MILLISECONDS);
                return ",\"leader\":" + got;
            }
            case "latch-participants":
                return ",\"participants\":" + participants(((LeaderLatch) objects.get(handle)).getParticipants());
            case "latch-close":
                ((LeaderLatch) objects.remove(handle)).close();
                return "";
            case "selector-start": {
                CountDownLatch yield = new CountDownLatch(1);
                AtomicBoolean leading = new AtomicBoolean(false);
                extras.put(handle + ":yield", yield);
                extras.put(handle + ":leading", leading);
                LeaderSelector s = new LeaderSelector(client, p[3], new LeaderSelectorListenerAdapter() {
                    @Override
                    public void takeLeadership(CuratorFramework c) throws Exception {
                        leading.set(true);
                        try {
                            ((CountDownLatch) extras.get(handle + ":yield")).await();
                        } finally {
                            leading.set(false);
                        }
                    }
                });
                s.setId(p[4]);
                objects.put(handle, s);
                s.start();
                return "";
            }
            case "selector-leader?":
                return ",\"leader\":" + ((AtomicBoolean) extras.get(handle + ":leading")).get();
            case "selector-participants":
                return ",\"participants\":" + participants(((LeaderSelector) objects.get(handle)).getParticipants());
            case "selector-close":
                ((CountDownLatch) extras.get(handle + ":yield")).countDown();
                ((LeaderSelector) objects.remove(handle)).close();
                return "";
            case "count-set": {
                SharedCount c = new SharedCount(client, p[3], 0);
                c.start();
                try {
                    c.setCount(Integer.parseInt(p[4]));
                } finally {
                    c.close();
                }
                return "";
            }
            case "count-get": {
                SharedCount c = new SharedCount(client, p[3], 0);
                c.start();
                try {
                    return ",\"value\":" + c.getCount();
                } finally {
                    c.close();
                }
            }
            case "along-add": {
                AtomicValue<Long> v = new DistributedAtomicLong(client, p[3], new RetryNTimes(20, 10)).add(Long.parseLong(p[4]));
                return ",\"succeeded\":" + v.succeeded() + ",\"value\":" + str(String.valueOf(v.postValue()));
            }
            case "along-get":
                return ",\"value\":" + str(String.valueOf(new DistributedAtomicLong(client, p[3], new RetryNTimes(0, 0)).get().postValue()));
            case "barrier-set":
                new DistributedBarrier(client, p[3]).setBarrier();
                return "";
            case "barrier-remove":
                new DistributedBarrier(client, p[3]).removeBarrier();
                return "";
            case "write": {
                // create-or-set, parents made as needed
                byte[] data = p[4].getBytes(StandardCharsets.UTF_8);
                if (client.checkExists().forPath(p[3]) == null) client.create().creatingParentsIfNeeded().forPath(p[3], data);
                else client.setData().forPath(p[3], data);
                return "";
            }
            case "delete":
                client.delete().forPath(p[3]);
                return "";
            case "cache-start": {
                CuratorCache cache = CuratorCache.build(client, p[3]);
                CountDownLatch initialized = new CountDownLatch(1);
                cache.listenable().addListener(CuratorCacheListener.builder().forInitialized(initialized::countDown).build());
                cache.start();
                initialized.await(20, TimeUnit.SECONDS);
                objects.put(handle + ":cache", cache);
                return "";
            }
            case "cache-get": {
                // the data held for a path (relative to the namespace), or null
                CuratorCache cache = (CuratorCache) objects.get(handle + ":cache");
                return ",\"value\":" + cache.get(p[3]).map(d -> str(new String(d.getData(), StandardCharsets.UTF_8))).orElse("null");
            }
            case "cache-size":
                return ",\"value\":" + ((CuratorCache) objects.get(handle + ":cache")).size();
            case "cache-close":
                ((CuratorCache) objects.remove(handle + ":cache")).close();
                return "";
            case "group-join": {
                // group-join <groupPath> <id> <data>: a Curator GroupMember (its own PersistentNode + cache)
                GroupMember member = new GroupMember(client, p[3], p[4], p[5].getBytes(StandardCharsets.UTF_8));
                member.start();
                objects.put(handle + ":group", member);
                return "";
            }
            case "group-members": {
                // ids and data as "id=data", sorted
                List<String> items = new ArrayList<>();
                for (Map.Entry<String, byte[]> e : ((GroupMember) objects.get(handle + ":group")).getCurrentMembers().entrySet())
                    items.add(e.getKey() + "=" + new String(e.getValue(), StandardCharsets.UTF_8));
                items.sort(null);
                return ",\"nodes\":" + strings(items);
            }
            case "group-set":
                ((GroupMember) objects.get(handle + ":group")).setThisData(p[3].getBytes(StandardCharsets.UTF_8));
                return "";
            case "group-close":
                ((GroupMember) objects.remove(handle + ":group")).close();
                return "";
            case "barrier-wait":
                return ",\"released\":" + new DistributedBarrier(client, p[3]).waitOnBarrier(Long.parseLong(p[4]), TimeUnit.MILLISECONDS);
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    static boolean acquireForever(InterProcessMutex m) throws Exception {
        m.acquire();
        return true;
    }

    static String participants(Collection<Participant> ps) {
        List<String> items = new ArrayList<>();
        for (Participant p : ps) items.add("{\"id\":" + str(p.getId()) + ",\"isLeader\":" + p.isLeader() + "}");
        return "[" + String.join(",", items) + "]";
    }

    static String strings(Collection<String> xs) {
        List<String> items = new ArrayList<>();
        for (String x : xs) items.add(str(x));
        return "[" + String.join(",", items) + "]";
    }

    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static void reply(String id, String body) {
        synchronized (out) {
            System.out.println("{\"id\":" + str(id) + "," + body + "}");
            System.out.flush();
        }
    }
}
