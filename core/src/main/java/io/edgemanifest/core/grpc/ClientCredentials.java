package io.edgemanifest.core.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Credentials of an operator command dialling one of our gRPC servers ({@code stargate status},
 * {@code gateway drain}): plaintext, or TLS trusting the PEM authority of {@code --ca-file}.
 */
public final class ClientCredentials {

    private ClientCredentials() {
    }

    /**
     * @param caFile the {@code --ca-file} value, or null for plaintext
     * @throws IllegalArgumentException naming the file when it is not a readable PEM authority
     *                                  (Cli makes that one line and exit code 2)
     */
    public static ChannelCredentials trusting(Path caFile) {
        if (caFile == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("invalid --ca-file '" + caFile + "': " + e.getMessage());
        }
    }
}
