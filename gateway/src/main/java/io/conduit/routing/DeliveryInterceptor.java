package io.conduit.routing;

import java.util.concurrent.CompletionStage;

/**
 * Sees each copy of a message on its way to one subscriber, before the subscriber's session takes it: the seam of
 * the plugins' outbound interceptors. Implementations keep the copies for one subscriber in order.
 */
public interface DeliveryInterceptor {

    /** Whether anything intercepts now; when not, the router delivers directly. */
    boolean active();

    /**
     * Passes one copy through the interceptors and then, unless it was dropped, to {@code delivery}.
     *
     * @return what {@code delivery} returned (a stage that completes once the copy is durable, or null), or a stage
     *         that completes with it when the interceptors answer later
     */
    CompletionStage<Void> intercept(Subscriber subscriber, Message message, int qos, boolean retain,
                                    Delivery delivery);

    /** The delivery of the (possibly changed) copy. */
    @FunctionalInterface
    interface Delivery {
        CompletionStage<Void> deliver(Message message, int qos, boolean retain);
    }
}
