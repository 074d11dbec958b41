package io.edgemanifest.core.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.NotRegisteredException;

class ConsulErrorsTest {

    @Test
    void aHeartbeatThatCouldNotReachConsulIsAnOutageNotARestartedAgent() {
        // consul-client wraps every check-update failure, IO errors too, in NotRegisteredException.
        var outage = new NotRegisteredException("Error checking state",
                new ConsulException("Error connecting to Consul", new ConnectException("Connection refused")));
        var timeout = new NotRegisteredException("Error checking state", new SocketTimeoutException("timeout"));

        assertThat(ConsulErrors.isUnknownCheck(outage)).isFalse();
        assertThat(ConsulErrors.isUnknownCheck(timeout)).isFalse();
        assertThat(ConsulErrors.isUnreachable(outage)).isTrue();
    }

    @Test
    void anAgentThatForgotTheCheckIsAnUnknownCheck() {
        var v18 = new NotRegisteredException("Error checking state",
                new ConsulException("Consul request failed with status [500]: CheckID \"service:h\" does not have associated TTL"));
        var newer = new ConsulException("Consul request failed with status [404]: Unknown check \"service:h\"");

        assertThat(ConsulErrors.isUnknownCheck(v18)).isTrue();
        assertThat(ConsulErrors.isUnknownCheck(newer)).isTrue();
        assertThat(ConsulErrors.isUnreachable(v18)).isFalse();
    }

    @Test
    void anAgentWithoutServersCountsAsUnreachable() {
        assertThat(ConsulErrors.isUnreachable(new ConsulException("Consul request failed with status [500]: No cluster leader"))).isTrue();
        assertThat(ConsulErrors.isUnreachable(new ConsulException("Consul request failed with status [400]: bad"))).isFalse();
    }

    @Test
    void aRefusedSessionNamesTheCheckThatIsNotPassing() {
        assertThat(ConsulErrors.isCheckNotPassing(new ConsulException("Check 'service:h' is in critical state"))).isTrue();
        assertThat(ConsulErrors.isCheckNotPassing(new ConsulException("Missing check 'service:h' registration"))).isTrue();
        assertThat(ConsulErrors.isCheckNotPassing(new ConsulException("Permission denied"))).isFalse();
    }

    @Test
    void aReadTimeoutIsSlownessButAConnectFailureIsNot() {
        var readTimeout = new NotRegisteredException("Error checking state", new SocketTimeoutException("timeout"));
        var jdkTimeout = new java.io.UncheckedIOException(new java.net.http.HttpTimeoutException("request timed out"));
        var connectTimeout = new ConsulException("Error connecting", new SocketTimeoutException("Connect timed out"));
        var refused = new ConsulException("Error connecting", new ConnectException("Connection refused"));
        var jdkConnect = new java.io.UncheckedIOException(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out"));

        assertThat(ConsulErrors.isTimeout(readTimeout)).isTrue();
        assertThat(ConsulErrors.isTimeout(jdkTimeout)).isTrue();
        assertThat(ConsulErrors.isTimeout(connectTimeout)).isFalse();
        assertThat(ConsulErrors.isTimeout(refused)).isFalse();
        assertThat(ConsulErrors.isTimeout(jdkConnect)).isFalse();
        assertThat(ConsulErrors.isConnectFailure(refused)).isTrue();
        assertThat(ConsulErrors.isConnectFailure(connectTimeout)).isTrue();
        assertThat(ConsulErrors.isConnectFailure(jdkConnect)).isTrue();
        assertThat(ConsulErrors.isConnectFailure(readTimeout)).isFalse();
    }

    @Test
    void aServerErrorThatIsNotAboutTheCheckIsNotAnUnknownCheck() {
        var leadership = new NotRegisteredException("Error checking state",
                new ConsulException("Consul request failed with status [500]: rpc error making call: leadership lost while committing log"));
        assertThat(ConsulErrors.isUnknownCheck(leadership)).isFalse();
        assertThat(ConsulErrors.isUnreachable(leadership)).isFalse();
        assertThat(ConsulErrors.isUnknownCheck(new ConsulException("CheckID \"service:h\" not found"))).isTrue();
    }
}
