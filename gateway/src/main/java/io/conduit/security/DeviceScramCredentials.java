package io.conduit.security;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.context.ManagedExecutor;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * SCRAM-SHA-256 credentials from the device registry: those of the enabled device with that username, derived when
 * its password was set. Names no device has are answered from memory; the rest are looked up on a worker thread.
 */
@ApplicationScoped
@DefaultBean
public class DeviceScramCredentials implements ScramCredentials {

    @Inject
    Devices devices;

    @Inject
    ManagedExecutor workers;

    @Override
    public CompletionStage<Optional<ScramCredential>> lookup(String username) {
        if (username == null || !devices.mayBeRegistered(username, null)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return workers.supplyAsync(() -> {
            Device d = devices.forLogin(username, null);
            return d == null || !d.enabled() || d.scram() == null ? Optional.empty() : Optional.of(d.scram());
        });
    }
}
