package io.edgemanifest.stargate;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("stargate", "--consul", "{consul}", "--datacenter", "jar-acl", "--state-dir", "{dir}/sg");
    }
}
