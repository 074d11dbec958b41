package io.edgemanifest.stargate.enrol;

import com.google.common.net.InetAddresses;
import io.edgemanifest.core.enrol.PinnedTrustManager;
import io.edgemanifest.core.enrol.TokenFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Stargate's own small certificate authority, for its enrolment endpoint only: an EC P-256 key
 * and a self-signed CA certificate in {@code <state-dir>/tls/} ({@code ca.key} mode 0600), created
 * once and reused, so join tokens (which pin the CA certificate's SHA-256) stay valid across
 * restarts. At each start it signs a fresh server certificate for the advertised host and the bind
 * address; that key lives in memory only.
 *
 * <p>Why a private CA rather than the Web PKI: the pin in the join token is the whole trust
 * decision (kubeadm's model), it works for Stargates without a public DNS name, and nothing else
 * can be signed by it — so no host name check is needed on the client.
 */
public final class EnrolmentCa {

    public static final String DIR = "tls";
    public static final String CERT_FILE = "ca.pem";
    public static final String KEY_FILE = "ca.key";
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** Re-issued at every start; a Stargate running longer than this must be restarted. */
    static final Duration SERVER_VALIDITY = Duration.ofDays(397);

    private static final Logger log = LoggerFactory.getLogger(EnrolmentCa.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey key;
    private final X509Certificate certificate;

    /** A server key and certificate for the enrolment endpoint, with the CA certificate to send along. */
    public record ServerIdentity(PrivateKey key, X509Certificate certificate, X509Certificate ca) {
        /** Key managers serving the chain {@code [server, ca]}: the client finds the pinned CA in it. */
        public KeyManager[] keyManagers() {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                char[] password = new char[0];
                store.setKeyEntry("enrolment", key, password, new java.security.cert.Certificate[] {certificate, ca});
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, password);
                return factory.getKeyManagers();
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot build the enrolment key manager", e);
            }
        }
    }

    private EnrolmentCa(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /**
     * Loads the CA from {@code <stateDir>/tls/}, or creates it there.
     *
     * @throws IllegalArgumentException when only one of the two files exists, or they do not match
     */
    public static EnrolmentCa loadOrCreate(Path stateDir, String stargateId) {
        Path dir = stateDir.resolve(DIR);
        Path certFile = dir.resolve(CERT_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        boolean hasCert = Files.exists(certFile);
        boolean hasKey = Files.exists(keyFile);
        if (hasCert && hasKey) {
            EnrolmentCa ca = new EnrolmentCa(readKey(keyFile), readCertificate(certFile));
            ca.requireMatchingKey(certFile, keyFile);
            if (TokenFile.isExposed(keyFile)) {
                log.warn("{} is readable by other users: chmod 600 it (it signs the enrolment endpoint's certificates)", keyFile);
            }
            return ca;
        }
        if (hasCert || hasKey) {
            // Creating a new CA would silently invalidate every join token handed out: refuse.
            throw new IllegalArgumentException("state dir " + stateDir + " holds " + (hasCert ? certFile : keyFile)
                    + " without " + (hasCert ? keyFile : certFile) + ": restore it, or remove both to create a new CA "
                    + "(outstanding join tokens then stop working)");
        }
        KeyPair keys = newKeys();
        // A common name is at most 64 characters (RFC 5280): the organisation says what it is.
        X500Name name = new X500Name("CN=" + cn(stargateId) + ",O=Edge Manifest enrolment CA");
        X509Certificate cert = sign(name, keys, name, keys, CA_VALIDITY, true, List.of());
        // Key first: a crash in between leaves a key without certificate, which the check above reports.
        TokenFile.writeOwnerOnly(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        try {
            TokenFile.writeOwnerOnly(certFile, pem("CERTIFICATE", cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        log.info("enrolment CA created in {} (sha256 {})", dir, PinnedTrustManager.pinOf(cert));
        return new EnrolmentCa(keys.getPrivate(), cert);
    }

    /** The CA certificate in {@code <stateDir>/tls/ca.pem} (for {@code stargate enrol-token create}). */
    public static X509Certificate certificateIn(Path stateDir) {
        return readCertificate(stateDir.resolve(DIR).resolve(CERT_FILE));
    }

    static X509Certificate readCertificate(Path file) {
        try {
            byte[] der = fromPem(Files.readString(file, StandardCharsets.US_ASCII), "CERTIFICATE", file);
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no enrolment CA at " + file + ": is this a Stargate's --state-dir, "
                    + "and has the Stargate run once?");
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("cannot read the enrolment CA certificate " + file + ": " + e.getMessage());
        }
    }

    private static PrivateKey readKey(Path file) {
        try {
            byte[] der = fromPem(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY", file);
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the enrolment CA key " + file + ": " + e.getMessage());
        }
    }

    private void requireMatchingKey(Path certFile, Path keyFile) {
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new IllegalArgumentException(keyFile + " is not the key of " + certFile);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(keyFile + " is not the key of " + certFile + ": " + e.getMessage());
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** SHA-256 of the CA certificate's DER encoding: what join tokens pin. */
    public String pin() {
        return PinnedTrustManager.pinOf(certificate);
    }

    /**
     * A fresh server key and certificate naming {@code names} (host names or IP addresses; wildcard
     * bind addresses such as {@code 0.0.0.0} are left out, no client dials them).
     */
    public ServerIdentity issueServer(Collection<String> names) {
        Set<String> sans = new LinkedHashSet<>();
        for (String name : names) {
            if (name == null || name.isBlank()) {
                continue;
            }
            String n = name.strip();
            if (InetAddresses.isInetAddress(n) && InetAddresses.forString(n).isAnyLocalAddress()) {
                continue;
            }
            sans.add(n);
        }
        if (sans.isEmpty()) {
            sans.add("localhost");
        }
        KeyPair keys = newKeys();
        // The issuer exactly as encoded in the CA certificate (a re-parsed string may reorder it).
        X509Certificate server = sign(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), new KeyPair(
                        certificate.getPublicKey(), key),
                new X500Name("CN=" + cn(sans.iterator().next())), keys,
                SERVER_VALIDITY, false, new ArrayList<>(sans));
        return new ServerIdentity(keys.getPrivate(), server, certificate);
    }

    /** A name fit for a common name: no X.500 special characters, at most 64 characters. */
    private static String cn(String name) {
        String cleaned = name.replaceAll("[^A-Za-z0-9._:-]", "_");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
    }

    private static KeyPair newKeys() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime cannot make EC P-256 keys", e);
        }
    }

    private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, X500Name subject, KeyPair subjectKeys,
                                        Duration validity, boolean ca, List<String> sans) {
        Instant now = Instant.now();
        try {
            // Positive, 127 random bits: serials must be unique per CA and are best unpredictable.
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
                    // An hour of slack for clients whose clock is behind.
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject,
                    subjectKeys.getPublic());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(subjectKeys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
            if (ca) {
                // pathLen 0: it signs server certificates, never another CA.
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                GeneralName[] names = sans.stream()
                        .map(n -> InetAddresses.isInetAddress(n) ? new GeneralName(GeneralName.iPAddress, n)
                                : new GeneralName(GeneralName.dNSName, n))
                        .toArray(GeneralName[]::new);
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a certificate", e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] fromPem(String text, String type, Path file) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(file + " holds no PEM " + type);
        }
        return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    }
}
