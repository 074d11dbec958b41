package io.edgemanifest.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class LocalPeersTest {

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void loopbackPeersAreThisMachine() {
        assertThat(LocalPeers.isLocal(at("127.0.0.1", 50000), at("127.0.0.1", 7100))).isTrue();
        assertThat(LocalPeers.isLocal(at("::1", 50000), at("::1", 7100))).isTrue();
    }

    @Test
    void aPeerDiallingThePublicAddressFromTheMachineItselfIsThisMachine() {
        assertThat(LocalPeers.isLocal(at("203.0.113.7", 50000), at("203.0.113.7", 7100))).isTrue();
    }

    @Test
    void anyOtherPeerIsRemote() {
        assertThat(LocalPeers.isLocal(at("198.51.100.9", 50000), at("203.0.113.7", 7100))).isFalse();
        assertThat(LocalPeers.isLocal(at("10.0.0.2", 50000), at("0.0.0.0", 7100))).isFalse();
        assertThat(LocalPeers.isLocal(null, at("127.0.0.1", 7100))).isFalse();
        assertThat(LocalPeers.isLocal(new java.net.SocketAddress() { }, null)).isFalse();
    }
}
