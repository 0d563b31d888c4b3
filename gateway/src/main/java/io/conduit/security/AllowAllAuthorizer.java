package io.conduit.security;

/**
 * The authorizer until ACLs are configured: everything but publishing into the broker's own $SYS tree. Selected by
 * {@link AuthorizerSelection} when no ACL file is set.
 */
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
