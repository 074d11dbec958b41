package io.edgemanifest.testing.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small TCP proxy in front of a real Consul agent's HTTP port that injects the faults a real
 * network and a loaded agent produce: answers that take seconds (the request reaches Consul at once,
 * its answer is held back — as when an agent's anti-entropy sync makes it slow to reply), refused
 * connections (an outage), and a canned HTTP error instead of Consul's answer for chosen requests.
 * It also counts requests by their request line, so a test can assert what a client did.
 *
 * <p>Requests are recognised by the start of a chunk from the client ({@code PUT /v1/...}): enough
 * for HTTP/1.1 clients, which do not pipeline. A canned answer is only for requests without a body.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final Set<String> METHODS = Set.of("GET ", "PUT ", "POST ", "DELETE ", "HEAD ");

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Duration delayAll = Duration.ZERO;
    private volatile boolean refusing;
    private volatile boolean closed;

    /** Holds back or replaces the answer of requests whose request line starts with {@code prefix}. */
    private record Rule(String prefix, Duration delay, byte[] answer, AtomicInteger remaining) {
    }

    private FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("fault-proxy-accept").start(this::acceptLoop);
    }

    /** A proxy in front of {@code httpUrl} (e.g. a {@code ConsulAgent}'s HTTP URL). */
    public static FaultProxy to(String httpUrl) {
        URI uri = URI.create(httpUrl);
        try {
            return new FaultProxy(new InetSocketAddress(uri.getHost(), uri.getPort()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a fault proxy to " + httpUrl, e);
        }
    }

    /** Where clients connect instead of Consul. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Every answer from now on arrives {@code delay} after its request (zero: at once). */
    public FaultProxy delayAnswers(Duration delay) {
        delayAll = Objects.requireNonNull(delay, "delay");
        return this;
    }

    /** The next {@code times} answers to requests starting with {@code requestPrefix} arrive {@code delay} late. */
    public FaultProxy delayAnswers(String requestPrefix, Duration delay, int times) {
        rules.add(new Rule(requestPrefix, delay, null, new AtomicInteger(times)));
        return this;
    }

    /**
     * The next {@code times} requests starting with {@code requestPrefix} (without a body) never
     * reach Consul: the proxy answers {@code status} with {@code body} itself.
     */
    public FaultProxy answer(String requestPrefix, int status, String body, int times) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " Injected\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + content.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] answer = new byte[head.length + content.length];
        System.arraycopy(head, 0, answer, 0, head.length);
        System.arraycopy(content, 0, answer, head.length, content.length);
        rules.add(new Rule(requestPrefix, Duration.ZERO, answer, new AtomicInteger(times)));
        return this;
    }

    /** An outage: every open connection is cut, and new ones are closed as soon as they are accepted. */
    public FaultProxy refuse() {
        refusing = true;
        open.forEach(FaultProxy::closeQuietly);
        open.clear();
        return this;
    }

    /** No more faults: answers pass at once, connections are accepted, pending rules are dropped. */
    public FaultProxy restore() {
        refusing = false;
        delayAll = Duration.ZERO;
        rules.clear();
        return this;
    }

    /** How many requests whose request line starts with {@code prefix} clients sent (answered or not). */
    public int requests(String prefix) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToInt(e -> e.getValue().get()).sum();
    }

    /** Connections accepted so far (refused ones included). */
    public int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("fault proxy: accept failed", e);
                }
                return;
            }
            connections.incrementAndGet();
            if (refusing) {
                closeQuietly(client);
                continue;
            }
            Thread.ofVirtual().name("fault-proxy-conn").start(() -> serve(client));
        }
    }

    private void serve(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 2_000);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        open.add(client);
        open.add(upstream);
        // Monotonic deadline before which the answer to the request in flight may not be passed on.
        long[] notBefore = {0};
        Object clientOut = new Object();
        Thread down = Thread.ofVirtual().name("fault-proxy-down").start(() -> pump(upstream, client, notBefore, clientOut));
        try {
            InputStream in = client.getInputStream();
            OutputStream out = upstream.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                String line = requestLine(buffer, n);
                if (line != null) {
                    seen.computeIfAbsent(line, k -> new AtomicInteger()).incrementAndGet();
                    Rule rule = take(line);
                    if (rule != null && rule.answer() != null) {
                        synchronized (clientOut) {
                            client.getOutputStream().write(rule.answer());
                            client.getOutputStream().flush();
                        }
                        continue;
                    }
                    Duration delay = rule != null ? rule.delay() : delayAll;
                    synchronized (notBefore) {
                        notBefore[0] = System.nanoTime() + delay.toNanos();
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a side closed: end the connection
        } finally {
            closeQuietly(client);
            closeQuietly(upstream);
            open.remove(client);
            open.remove(upstream);
            down.interrupt();
        }
    }

    private void pump(Socket from, Socket to, long[] notBefore, Object toLock) {
        try {
            InputStream in = from.getInputStream();
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                long deadline;
                synchronized (notBefore) {
                    deadline = notBefore[0];
                }
                // Holding an answer back is the fault being injected, not test synchronisation.
                for (long wait = deadline - System.nanoTime(); wait > 0 && !refusing; wait = deadline - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                    if (Thread.interrupted()) {
                        return;
                    }
                }
                synchronized (toLock) {
                    to.getOutputStream().write(buffer, 0, n);
                    to.getOutputStream().flush();
                }
            }
        } catch (IOException e) {
            // a side closed
        } finally {
            closeQuietly(to);
            closeQuietly(from);
        }
    }

    private Rule take(String line) {
        for (Rule rule : rules) {
            if (line.startsWith(rule.prefix()) && rule.remaining().getAndDecrement() > 0) {
                return rule;
            }
        }
        return null;
    }

    /** {@code METHOD /path} when the chunk starts a request, else null. */
    private static String requestLine(byte[] buffer, int n) {
        String start = new String(buffer, 0, Math.min(n, 512), StandardCharsets.ISO_8859_1);
        if (METHODS.stream().noneMatch(start::startsWith)) {
            return null;
        }
        int end = start.indexOf(" HTTP/");
        if (end < 0) {
            end = start.indexOf('\r');
        }
        String line = end < 0 ? start : start.substring(0, end);
        int query = line.indexOf('?');
        return query < 0 ? line : line.substring(0, query);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(FaultProxy::closeQuietly);
        open.clear();
    }
}
