package io.edgemanifest.explorer;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("network-explorer", "--consul", "{consul}", "--data-dir", "{dir}/explorer", "--port", "0");
    }
}
