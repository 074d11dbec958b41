package io.edgemanifest.explorer.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.Event;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/stream}: Server-Sent Events of every stored event. ONE poller for all clients
 * reads the events after the last it saw every {@link #POLL} and hands each client its share;
 * each client has its own queue and virtual thread writing to it, so a slow or dead connection
 * delays no one else (its queue overflowing closes it: it reconnects and is replayed or reset).
 * The event ID is the event's {@code seq}: a reconnect with {@code Last-Event-ID} replays exactly
 * what it missed.
 */
final class LiveStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LiveStream.class);
    private static final ObjectMapper JSON = NodeRecords.mapper();
    static final Duration POLL = Duration.ofMillis(500);
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    static final Duration COUNTS_EVERY = Duration.ofSeconds(1);
    static final int MAX_CLIENTS = 200;
    static final int REPLAY_LIMIT = 1000;
    /** Events a client may have waiting before it is dropped (it reconnects and catches up). */
    static final int MAX_QUEUED = 5_000;
    private static final int BATCH = 1000;

    private record Message(String event, String data, String id) {
    }

    private static final Message CLOSE = new Message(null, null, null);

    private final class Client {
        final SseClient sse;
        final BlockingQueue<Message> queue = new LinkedBlockingQueue<>();
        /** Whether the login that opened the stream is still live (always, with login off). */
        final java.util.function.BooleanSupplier authorized;
        /** The highest seq handed to this client (guarded by this). */
        long sent;

        Client(SseClient sse, long sent, java.util.function.BooleanSupplier authorized) {
            this.sse = sse;
            this.sent = sent;
            this.authorized = authorized;
        }

        void offer(Message m) {
            if (queue.size() >= MAX_QUEUED) {
                log.info("live: a client fell {} events behind; closing it (it reconnects and catches up)", MAX_QUEUED);
                queue.clear();
                queue.offer(CLOSE);
                return;
            }
            queue.offer(m);
        }

        /** The client's own writer: the only thread that writes to its connection. */
        void write() {
            try {
                while (!sse.terminated()) {
                    Message m = queue.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
                    if (m == CLOSE) {
                        break;
                    }
                    if (!authorized.getAsBoolean()) {
                        // Logged out, expired, user removed or password changed since the stream
                        // opened: the stream ends like the session (the page's next request gets 401).
                        log.debug("live: the session of a stream ended; closing it");
                        break;
                    }
                    if (m == null) {
                        sse.sendComment("keep-alive"); // proxies close a stream silent for long
                    } else {
                        sse.sendEvent(m.event(), m.data(), m.id());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                sse.close();
                drop(this);
            }
        }
    }

    private final NodeJson json;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "explorer-live");
        t.setDaemon(true);
        return t;
    });
    private final SseHandler handler = new SseHandler(this::connect);
    /** The highest seq the poller has handed out; -1 until first read. */
    private long last = -1;
    private String lastCounts;
    private long lastCountsAt;
    private boolean countsDue;
    private volatile boolean closed;

    LiveStream(NodeJson json) {
        this.json = json;
    }

    LiveStream register(Javalin app) {
        app.get("/api/stream", this::stream);
        poller.scheduleWithFixedDelay(this::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    int clients() {
        return clients.size();
    }

    private void stream(Context ctx) throws Exception {
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            throw new ApiError(406, "invalid header 'Accept': '" + ctx.header("Accept") + "' (an event stream needs text/event-stream)");
        }
        lastEventId(ctx); // a bad one is a 400 before the stream starts
        if (closed) {
            throw new ApiError(503, "the Explorer is stopping");
        }
        if (open.incrementAndGet() > MAX_CLIENTS) {
            open.decrementAndGet();
            throw new ApiError(503, "too many live streams (" + MAX_CLIENTS + "); try again later");
        }
        try {
            handler.handle(ctx);
        } catch (Exception | Error e) {
            open.decrementAndGet();
            throw e;
        }
    }

    private static Long lastEventId(Context ctx) {
        String header = ctx.header("Last-Event-ID");
        String name = header != null ? "Last-Event-ID" : "lastEventId";
        String value = header != null ? header : ctx.queryParam("lastEventId");
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            long seq = Long.parseLong(value.strip());
            if (seq < 0) {
                throw new NumberFormatException();
            }
            return seq;
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, value, "an event seq, an integer >= 0");
        }
    }

    /** A new client: replay or reset, the current counts, then whatever the poller hands it. */
    private void connect(SseClient sse) {
        Client client = null;
        try {
            Long after = lastEventId(sse.ctx());
            long current;
            synchronized (this) {
                if (last < 0) {
                    last = json.store().lastSeq(); // the poller starts from here: nothing before it is lost
                }
                current = json.store().lastSeq();
            }
            java.util.function.BooleanSupplier authorized =
                    sse.ctx().attribute(io.edgemanifest.explorer.auth.WebSecurity.STILL_VALID);
            Client registered = new Client(sse, after == null ? current : after, authorized != null ? authorized : () -> true);
            client = registered;
            // Registered and replayed under the client's lock: the poller waits, so nothing newer
            // than the replay reaches the client before it, twice, or out of seq order; and events
            // the poller handed out between reading `current` and the registration are replayed too.
            synchronized (registered) {
                clients.add(registered);
                sse.onClose(() -> drop(registered));
                if (after != null && after > current) {
                    // An ID this store never issued (a restored or recreated store): start over.
                    registered.offer(new Message("reset", "{\"lastSeq\":" + current + "}", String.valueOf(current)));
                    registered.sent = current;
                } else {
                    List<Event> missed = json.store().eventsAfter(registered.sent, REPLAY_LIMIT + 1);
                    if (missed.size() > REPLAY_LIMIT) {
                        long newest = missed.get(missed.size() - 1).seq();
                        registered.offer(new Message("reset", "{\"lastSeq\":" + newest + "}", String.valueOf(newest)));
                        registered.sent = newest;
                    } else {
                        for (Message m : changes(missed)) {
                            registered.offer(m);
                        }
                        if (!missed.isEmpty()) {
                            registered.sent = missed.get(missed.size() - 1).seq();
                        }
                    }
                }
                // With an ID, so that a reconnect before the first change still says where it was
                // (without one the browser would reconnect with no Last-Event-ID and miss the gap).
                registered.offer(new Message("counts", counts(), String.valueOf(registered.sent)));
            }
        } catch (RuntimeException e) {
            log.warn("live: a stream could not start: {}", e.getMessage());
            if (client == null) {
                open.decrementAndGet();
            } else {
                drop(client);
            }
            sse.close();
            return;
        }
        sse.keepAlive();
        Thread.ofVirtual().name("explorer-live-client").start(client::write);
    }

    private void drop(Client client) {
        if (clients.remove(client)) {
            open.decrementAndGet();
            client.queue.offer(CLOSE); // ends its writer if it waits
        }
    }

    private String counts() {
        try {
            return JSON.writeValueAsString(json.summary());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each event with its device's current Node, as {@code change} messages. */
    private List<Message> changes(List<Event> events) {
        Set<String> ids = new LinkedHashSet<>();
        events.forEach(e -> ids.add(e.deviceId()));
        Map<String, Device> devices = json.store().find(ids); // one read for the batch, not one per device
        Map<String, Double> availability = json.store().availability24h(ids);
        List<Message> messages = new ArrayList<>();
        for (Event e : events) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("event", json.event(e));
            Device d = devices.get(e.deviceId());
            body.put("node", d == null ? null : json.node(d, availability.get(d.id())));
            try {
                messages.add(new Message("change", JSON.writeValueAsString(body), String.valueOf(e.seq())));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return messages;
    }

    private void poll() {
        try {
            long from;
            synchronized (this) {
                if (last < 0) {
                    last = json.store().lastSeq();
                }
                from = last;
            }
            List<Event> events = json.store().eventsAfter(from, BATCH);
            if (!events.isEmpty()) {
                synchronized (this) {
                    last = events.get(events.size() - 1).seq();
                }
                countsDue = true;
                if (!clients.isEmpty()) {
                    List<Message> messages = changes(events);
                    for (Client client : clients) {
                        synchronized (client) {
                            for (int i = 0; i < events.size(); i++) {
                                if (events.get(i).seq() > client.sent) {
                                    client.offer(messages.get(i));
                                    client.sent = events.get(i).seq();
                                }
                            }
                        }
                    }
                }
            }
            long now = System.nanoTime();
            if (countsDue && now - lastCountsAt >= COUNTS_EVERY.toNanos() && !clients.isEmpty()) {
                countsDue = false;
                lastCountsAt = now;
                String counts = counts();
                if (!counts.equals(lastCounts)) {
                    lastCounts = counts;
                    clients.forEach(c -> c.offer(new Message("counts", counts, null)));
                }
            }
        } catch (RuntimeException e) {
            // The store down: the next poll tries again; clients keep their streams meanwhile.
            log.debug("live: poll failed: {}", e.getMessage());
        }
    }

    /** Ends every stream (their writers close them) and the poller. */
    @Override
    public void close() {
        closed = true;
        poller.shutdownNow();
        for (Client c : clients) {
            c.queue.offer(CLOSE);
            c.sse.close();
        }
    }
}
