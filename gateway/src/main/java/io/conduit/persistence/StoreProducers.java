package io.conduit.persistence;

import io.conduit.routing.InMemoryRetainedStore;
import io.conduit.routing.RetainedStore;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Chooses the stores behind the core's persistence seams; memory unless a durable store replaces it. */
@ApplicationScoped
public class StoreProducers {

    @Produces
    @DefaultBean
    @ApplicationScoped
    RetainedStore retainedStore() {
        return new InMemoryRetainedStore();
    }
}
