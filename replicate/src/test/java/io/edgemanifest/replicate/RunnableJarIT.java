package io.edgemanifest.replicate;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("replicate", "--consul", "{consul}", "--source", "sg-x", "--metrics", "127.0.0.1:0");
    }
}
