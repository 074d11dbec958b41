package io.edgemanifest.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LifecycleStartedTest {

    private final AutoCloseable component = () -> { };

    @Test
    void aSecondSignalBeforeTheComponentExistsIsKeptForIt() {
        Lifecycle.Started started = new Lifecycle.Started();

        assertThat(started.hurry()).isNull();

        assertThat(started.set(component)).as("hurry pending").isTrue();
    }

    @Test
    void aSecondSignalOnceStartedHurriesTheComponentAtOnce() {
        Lifecycle.Started started = new Lifecycle.Started();

        assertThat(started.set(component)).isFalse();

        assertThat(started.hurry()).isSameAs(component);
    }
}
