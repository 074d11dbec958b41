package io.edgemanifest.fault;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Plain GETs for the observers: an answer only on 200, empty on anything else (a fault is expected). */
final class Http {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    Optional<String> get(String url, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET();
        if (token != null) {
            builder.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * The keys a Consul {@code ?keys} listing answers: the set on 200, empty on 404 (nothing under the
     * prefix), null when Consul gave no answer (down, no leader, refused).
     */
    java.util.Set<String> keys(String url, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET();
        if (token != null) {
            builder.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return java.util.Set.of();
            }
            if (response.statusCode() != 200) {
                return null;
            }
            java.util.Set<String> out = new java.util.HashSet<>();
            JSON.readTree(response.body()).forEach(k -> out.add(k.asText()));
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    Optional<String> get(String url) {
        return get(url, null);
    }
}
