package io.edgemanifest.core.consul;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.cache.ServiceHealthCache;
import org.kiwiproject.consul.model.health.Service;
import org.kiwiproject.consul.model.health.ServiceHealth;
import org.kiwiproject.consul.option.QueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passing instances of one service in one datacenter, kept current by a blocking query
 * ({@code /v1/health/service/<name>?passing}) through consul-client's {@link ServiceHealthCache}.
 * Listeners receive every new view (service ID → service); a failing listener is logged and ignored.
 * While Consul is unreachable the last view stands and the cache retries with back-off.
 */
public final class PassingServiceWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PassingServiceWatch.class);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final String serviceName;
    private final Consul consul;
    private final ServiceHealthCache cache;
    private final List<Consumer<Map<String, Service>>> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, Service> current = Map.of();
    private volatile boolean answered;

    public PassingServiceWatch(ConsulEndpoint endpoint, String serviceName) {
        this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
        this.consul = endpoint.watchClient(WAIT);
        this.cache = ServiceHealthCache.newCache(consul.healthClient(), serviceName, true,
                (int) WAIT.toSeconds(), QueryOptions.BLANK);
        cache.addListener(values -> {
            Map<String, Service> view = values.values().stream()
                    .map(ServiceHealth::getService)
                    .collect(Collectors.toUnmodifiableMap(Service::getId, s -> s, (a, b) -> a));
            current = view;
            answered = true;
            log.debug("{} passing instances of {}", view.size(), serviceName);
            for (Consumer<Map<String, Service>> listener : listeners) {
                try {
                    listener.accept(view);
                } catch (RuntimeException e) {
                    log.warn("listener of passing {} instances failed", serviceName, e);
                }
            }
        });
    }

    /** Adds a listener; it is called at once with the current view if there is one. */
    public PassingServiceWatch onChange(Consumer<Map<String, Service>> listener) {
        listeners.add(listener);
        if (answered) {
            // A latecomer on a shared watch must not wait for the next change to learn the view.
            try {
                listener.accept(current);
            } catch (RuntimeException e) {
                log.warn("listener of passing {} instances failed", serviceName, e);
            }
        }
        return this;
    }

    public void removeListener(Consumer<Map<String, Service>> listener) {
        listeners.remove(listener);
    }

    public PassingServiceWatch start() {
        cache.start();
        return this;
    }

    /** The latest view (empty before the first answer). */
    public Map<String, Service> current() {
        return current;
    }

    public String serviceName() {
        return serviceName;
    }

    @Override
    public void close() {
        cache.stop();
        consul.destroy();
    }
}
