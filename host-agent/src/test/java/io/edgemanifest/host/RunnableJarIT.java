package io.edgemanifest.host;

import io.edgemanifest.testing.RunnableJarContract;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("host-agent", "--consul", "{consul}", "--state-dir", "{dir}/host");
    }
}
