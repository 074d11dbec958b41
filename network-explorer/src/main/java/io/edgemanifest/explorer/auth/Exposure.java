package io.edgemanifest.explorer.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Secure by default: the Explorer shows member-owned devices, so listening beyond this machine
 * without a login is refused unless the operator says {@code --insecure} (a trusted network, or a
 * proxy in front that does its own login).
 */
public final class Exposure {

    private Exposure() {
    }

    /**
     * Checks {@code bind} against the login setting; returns true when the Explorer is reachable
     * from other machines without a login (allowed by {@code insecure}; the caller warns).
     */
    public static boolean check(String bind, boolean authOn, boolean insecure) {
        if (authOn || loopback(bind)) {
            return false;
        }
        if (!insecure) {
            throw new IllegalArgumentException("refusing --bind " + bind + " without --auth-file: anyone who reaches it "
                    + "would see every device; give --auth-file FILE (see network-explorer hash-password), bind 127.0.0.1, "
                    + "or pass --insecure");
        }
        return true;
    }

    /** Whether every address {@code host} names is a loopback address; false for one that does not resolve. */
    public static boolean isLoopback(String host) {
        try {
            return loopback(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether every address {@code bind} names is a loopback address (0.0.0.0, "any", is not). */
    static boolean loopback(String bind) {
        try {
            InetAddress[] all = InetAddress.getAllByName(bind);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid --bind '" + bind + "' (not an address of this machine)");
        }
    }
}
