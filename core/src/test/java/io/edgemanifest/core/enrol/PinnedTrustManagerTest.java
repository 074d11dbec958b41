package io.edgemanifest.core.enrol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PinnedTrustManagerTest {

    private static final TestCa STARGATE = TestCa.create("stargate-ca");
    private static final TestCa OTHER = TestCa.create("other-stargate-ca");

    @Test
    void trustsAChainContainingThePinnedCaAndACertificateItIssued() {
        X509Certificate server = STARGATE.issue("sg1.example.net");
        assertThatCode(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[] {server, STARGATE.certificate}))
                .doesNotThrowAnyException();
    }

    @Test
    void refusesAnotherStargatesChain() {
        X509Certificate server = OTHER.issue("sg1.example.net");
        assertThatThrownBy(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[] {server, OTHER.certificate}))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("man in the middle");
    }

    @Test
    void refusesAMiddlemanThatSendsThePinnedCaBesideItsOwnCertificate() {
        // The CA certificate is public: anyone can put it in a chain. Only its key can sign below it.
        X509Certificate forged = OTHER.issue("sg1.example.net");
        assertThatThrownBy(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[] {forged, STARGATE.certificate}))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("does not chain to the pinned CA");
    }

    @Test
    void refusesTheCaCertificateServedAsTheServersOwn() {
        assertThatThrownBy(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[] {STARGATE.certificate}))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void refusesAnExpiredServerCertificate() {
        X509Certificate expired = STARGATE.issue("sg1.example.net", Instant.now().minus(Duration.ofMinutes(1)));
        assertThatThrownBy(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[] {expired, STARGATE.certificate}))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void refusesAnEmptyChain() {
        assertThatThrownBy(() -> new PinnedTrustManager(STARGATE.pin()).check(new X509Certificate[0]))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void thePinIsTheSha256OfTheDerEncoding() throws Exception {
        String expected = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(STARGATE.certificate.getEncoded()));
        assertThat(STARGATE.pin()).isEqualTo(expected).hasSize(64);
    }

    @Test
    void refusesAMalformedPin() {
        assertThatThrownBy(() -> new PinnedTrustManager("abc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'abc'");
    }
}
