package io.edgemanifest.core;

/** Small helpers for turning exception chains into the one-line messages operators read. */
public final class Errors {

    private Errors() {
    }

    /** The innermost cause: usually the one that says what actually went wrong. */
    public static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** The first line of the innermost cause's message. */
    public static String rootMessage(Throwable e) {
        return String.valueOf(rootCause(e).getMessage()).lines().findFirst().orElse("");
    }
}
