package io.edgemanifest.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay in the bench JVM between one process and its Consul, counting the bytes each way:
 * what a process reads from Consul, measured from outside and independent of how it reads
 * (blocking queries, sharding, HTTP client), as {@code tcpdump} would, without root.
 */
final class ByteCountingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final AtomicLong fromUpstream = new AtomicLong();
    private final AtomicLong toUpstream = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private ByteCountingProxy(ServerSocket server, InetSocketAddress upstream) {
        this.server = server;
        this.upstream = upstream;
    }

    /** Listens on a free loopback port and relays every connection to {@code upstreamUrl}'s host and port. */
    static ByteCountingProxy to(String upstreamUrl) {
        URI uri = URI.create(upstreamUrl);
        try {
            ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            ByteCountingProxy proxy = new ByteCountingProxy(server, new InetSocketAddress(uri.getHost(), uri.getPort()));
            Thread.ofPlatform().daemon().name("proxy-" + server.getLocalPort()).start(proxy::accept);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for a proxy to " + upstreamUrl, e);
        }
    }

    /** The URL the measured process is given instead of its Consul's. */
    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Bytes Consul sent to the process so far (its answers: what the process read). */
    long bytesRead() {
        return fromUpstream.get();
    }

    /** Bytes the process sent to Consul so far (its requests and writes). */
    long bytesWritten() {
        return toUpstream.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket target = new Socket();
                target.connect(upstream, 5_000);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                open.add(client);
                open.add(target);
                Thread.ofVirtual().start(() -> pump(client, target, toUpstream));
                Thread.ofVirtual().start(() -> pump(target, client, fromUpstream));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("bench proxy to " + upstream + ": " + e.getMessage());
                }
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicLong counter) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                counter.addAndGet(n);
            }
        } catch (IOException e) {
            // a closed connection, either side: the other pump ends on its own
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
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
        open.forEach(this::closeQuietly);
    }
}
