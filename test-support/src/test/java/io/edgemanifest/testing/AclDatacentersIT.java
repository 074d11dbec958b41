package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The harness runs ACLs as production does: default deny, one primary, tokens replicated. */
class AclDatacentersIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls("acl-primary", "acl-second");

    private static int status(ConsulAgent agent, String method, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(agent.httpUrl() + path))
                .method(method, HttpRequest.BodyPublishers.ofString("x"));
        if (token != null) {
            request.header("X-Consul-Token", token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void anonymousRequestsAreDeniedInEveryDatacenter() throws Exception {
        for (ConsulAgent agent : consul.all()) {
            assertThat(agent.aclsEnabled()).isTrue();
            assertThat(status(agent, "PUT", "/v1/kv/anything", null)).isEqualTo(403);
            assertThat(status(agent, "PUT", "/v1/kv/anything", agent.masterToken())).isEqualTo(200);
        }
    }

    @Test
    void aTokenCreatedInThePrimaryWorksInTheSecondaryAndOnlyWithinItsRules() throws Exception {
        ConsulAgent primary = consul.datacenter("acl-primary");
        ConsulAgent secondary = consul.datacenter("acl-second");
        String token = primary.createToken("test-notes", "key_prefix \"notes/\" { policy = \"write\" }");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> status(secondary, "PUT", "/v1/kv/notes/a", token) == 200);
        assertThat(status(secondary, "PUT", "/v1/kv/other/a", token)).isEqualTo(403);
        assertThat(status(primary, "PUT", "/v1/kv/notes/b", token)).isEqualTo(200);
    }
}
