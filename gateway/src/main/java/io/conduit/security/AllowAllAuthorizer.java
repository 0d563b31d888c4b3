package io.conduit.security;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;

/** The authorizer until ACLs are configured: everything but publishing into the broker's own $SYS tree. */
@ApplicationScoped
@DefaultBean
public class AllowAllAuthorizer implements Authorizer {

    @Override
    public boolean canPublish(ClientIdentity client, String topic, int qos, boolean retain) {
        return !topic.startsWith("$SYS/");
    }

    @Override
    public boolean canSubscribe(ClientIdentity client, String filter, int qos) {
        return true;
    }
}
