package io.edgemanifest.gateway.drain;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a call through only from the gateway's own machine: a loopback peer, or a peer whose address
 * is the connection's own local address (the operator dialled the public address from the machine
 * itself). A remote party cannot present either over TCP, so it cannot drain a gateway; it gets
 * PERMISSION_DENIED.
 */
public final class LocalPeers implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(LocalPeers.class);

    /** Whether {@code remote} is this machine, as seen on a connection whose local end is {@code local}. */
    public static boolean isLocal(SocketAddress remote, SocketAddress local) {
        if (!(remote instanceof InetSocketAddress peer) || peer.getAddress() == null) {
            return false;
        }
        if (peer.getAddress().isLoopbackAddress()) {
            return true;
        }
        return local instanceof InetSocketAddress self && self.getAddress() != null
                && self.getAddress().equals(peer.getAddress());
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
        if (!isLocal(remote, local)) {
            log.warn("refused {} from {}: only accepted from this machine", call.getMethodDescriptor().getFullMethodName(), remote);
            call.close(Status.PERMISSION_DENIED.withDescription("only accepted from the gateway's own machine"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
