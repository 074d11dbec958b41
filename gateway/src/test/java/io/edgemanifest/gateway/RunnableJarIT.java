package io.edgemanifest.gateway;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("gateway", "--consul", "{consul}", "--state-dir", "{dir}/gw");
    }
}
