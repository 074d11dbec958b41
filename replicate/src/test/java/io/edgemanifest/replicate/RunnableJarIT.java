package io.edgemanifest.replicate;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("replicate");
    }
}
