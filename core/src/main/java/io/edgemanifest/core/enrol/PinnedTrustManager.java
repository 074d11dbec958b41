package io.edgemanifest.core.enrol;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a TLS server only if its chain contains the CA certificate whose SHA-256 (of its DER
 * encoding) is the pin, and the certificates below it chain to that CA (signatures, validity
 * dates, CA constraints: PKIX with the pinned certificate as the only trust anchor). The system
 * trust store plays no part: a certificate from any public CA, or from another Stargate's CA, is
 * refused — that is what stops a man in the middle from collecting join tokens.
 *
 * <p>There is no host name check: the pinned CA belongs to one Stargate and signs only that
 * Stargate's enrolment certificate, so the pin already names the server, however it was dialled
 * (a host may reach its Stargate through an address not in the certificate, e.g. behind NAT).
 */
public final class PinnedTrustManager extends X509ExtendedTrustManager {

    private static final Pattern PIN = Pattern.compile("[0-9a-f]{64}");

    private final byte[] pin;
    private final String pinHex;

    /** @param pinHex SHA-256 of the CA certificate's DER encoding, 64 lower-case hex characters */
    public PinnedTrustManager(String pinHex) {
        if (pinHex == null || !PIN.matcher(pinHex).matches()) {
            throw new IllegalArgumentException("invalid CA pin '" + pinHex + "': expected 64 lower-case hex characters");
        }
        this.pinHex = pinHex;
        this.pin = HexFormat.of().parseHex(pinHex);
    }

    /** The pin of a certificate: SHA-256 of its DER encoding, lower-case hex. */
    public static String pinOf(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(JoinToken.sha256(certificate.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage());
        }
    }

    public String pin() {
        return pinHex;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    /** Checks a server's chain (leaf first) against the pin; public for tests and diagnostics. */
    public void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server sent no certificate");
        }
        int anchorAt = -1;
        for (int i = 0; i < chain.length; i++) {
            if (MessageDigest.isEqual(pin, JoinToken.sha256(chain[i].getEncoded()))) {
                anchorAt = i;
                break;
            }
        }
        if (anchorAt < 0) {
            throw new CertificateException("the server's certificate is not issued by the CA the join token pins (sha256 "
                    + pinHex.substring(0, 12) + "...): another Stargate, or a man in the middle");
        }
        if (anchorAt == 0) {
            // The CA's own certificate as the server certificate: the CA key would be online.
            throw new CertificateException("the server presented the pinned CA certificate itself, not a certificate it issued");
        }
        X509Certificate anchor = chain[anchorAt];
        if (anchor.getBasicConstraints() < 0) {
            throw new CertificateException("the pinned certificate is not a CA certificate");
        }
        List<X509Certificate> path = Arrays.asList(chain).subList(0, anchorAt);
        try {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
            // A private, single-purpose CA publishes no revocation lists: a compromised Stargate
            // is handled by a new CA (and new join tokens), not by revocation.
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("the server's certificate does not chain to the pinned CA: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
