package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EventsRetentionTest {

    @ParameterizedTest
    @CsvSource({"90d, 2160", "2d, 48", "72h, 72", "P30D, 720"})
    void readsDaysOrTheDurationsOtherFlagsTake(String text, long hours) {
        assertThat(EventsRetention.parse(text).raw()).isEqualTo(Duration.ofHours(hours));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1d", "47h", "90 days", "-5d", "0d"})
    void refusesLessThanTwoDaysOrGarbageNamingTheValue(String text) {
        assertThatThrownBy(() -> EventsRetention.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid --events-retention '" + text + "'");
    }

    @org.junit.jupiter.api.Test
    void theDefaultIsNinetyDays() {
        assertThat(EventsRetention.DEFAULT.raw()).isEqualTo(Duration.ofDays(90));
    }
}
