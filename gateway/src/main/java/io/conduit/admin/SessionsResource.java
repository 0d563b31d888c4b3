package io.conduit.admin;

import io.conduit.routing.Subscription;
import io.conduit.session.Session;
import io.conduit.session.SessionRegistry;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.Comparator;
import java.util.List;

/**
 * The sessions of this node, live and persistent (also those restored from the store with no connection), as the
 * broker holds them: the session registry is the authority, whether the store is PostgreSQL or memory; the
 * database may lag it by the writes still queued. Read-only.
 */
@Path("/api/v1/sessions")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({"conduit-admin", "conduit-viewer"})
public class SessionsResource {

    @Inject
    SessionRegistry sessions;

    /** One session; {@code queued} counts the messages waiting on the heap and in the store. */
    public record SessionView(String clientId, boolean connected, boolean persistent, long expiryInterval,
                              int protocolLevel, int queued, int inflight, List<SubscriptionView> subscriptions) {
    }

    public record SubscriptionView(String filter, int qos, boolean noLocal, boolean retainAsPublished,
                                   int retainHandling, Integer subscriptionIdentifier) {
    }

    /** Sessions ordered by client id; {@code connected=true|false} filters. */
    @GET
    public Page<SessionView> list(@QueryParam("connected") Boolean connected,
                                  @QueryParam("offset") @DefaultValue("0") int offset,
                                  @QueryParam("limit") @DefaultValue("100") int limit) {
        List<Session> all = sessions.all().stream()
                .filter(s -> connected == null || s.isOnline() == connected)
                .sorted(Comparator.comparing(Session::clientId)).toList();
        Page<Session> page = Page.of(all, offset, limit);
        return new Page<>(page.total(), offset, limit, page.items().stream().map(SessionsResource::view).toList());
    }

    @GET
    @Path("{clientId}")
    public SessionView get(@PathParam("clientId") String clientId) {
        Session s = sessions.get(clientId);
        if (s == null) {
            throw new NotFoundException("no session " + clientId);
        }
        return view(s);
    }

    private static SessionView view(Session s) {
        List<SubscriptionView> subs = s.subscriptions().values().stream()
                .sorted(Comparator.comparing(Subscription::key))
                .map(sub -> new SubscriptionView(sub.key(), sub.qos(), sub.noLocal(), sub.retainAsPublished(),
                        sub.retainHandling(), sub.identifier() == 0 ? null : sub.identifier()))
                .toList();
        return new SessionView(s.clientId(), s.isOnline(), s.expiryInterval() > 0 || s.durable(),
                s.expiryInterval(), s.protocolLevel(), s.queuedCount(), s.inflightCount(), subs);
    }
}
