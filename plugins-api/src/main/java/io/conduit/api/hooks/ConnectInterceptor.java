package io.conduit.api.hooks;

import io.conduit.api.mqtt.ConnectPacket;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sees every CONNECT once the client is authenticated and before its session opens, and may change what the session
 * gets (session expiry, will, user properties) or refuse the connection with a CONNACK reason code. Interceptors run
 * in plugin priority order, each getting what the previous one returned. Packets the client sent behind CONNECT wait
 * until the interceptors are done.
 */
public interface ConnectInterceptor {

    /**
     * Decides on one CONNECT.
     *
     * @param connect what the client asked for
     * @return {@link ConnectAction#proceed} with the connect data to use, possibly changed, or
     *         {@link ConnectAction#refuse}
     */
    default CompletionStage<ConnectAction> onConnect(ConnectPacket connect) {
        return CompletableFuture.completedFuture(ConnectAction.proceed(connect));
    }

    /**
     * What to do with a CONNECT.
     *
     * @param connect    the connect data to use; null when refused
     * @param reasonCode for a refusal, the MQTT 5.0 CONNACK reason code (0x80 and up: 0x87 not authorized, 0x8A banned,
     *                   0x9F connection rate exceeded ...); 3.x clients get the nearest 3.1.1 code
     * @param reason     for a refusal, a reason string for 5.0 clients, or null
     */
    record ConnectAction(ConnectPacket connect, int reasonCode, String reason) {

        /**
         * Connect with this data.
         *
         * @param connect the connect data
         * @return the action
         */
        public static ConnectAction proceed(ConnectPacket connect) {
            return new ConnectAction(connect, 0, null);
        }

        /**
         * Refuse the connection.
         *
         * @param reasonCode a CONNACK failure code, 0x80 or above
         * @param reason     a reason string, or null
         * @return the action
         * @throws IllegalArgumentException when the code is not a failure code
         */
        public static ConnectAction refuse(int reasonCode, String reason) {
            if (reasonCode < 0x80 || reasonCode > 0xFF) {
                throw new IllegalArgumentException("a CONNACK failure code is 0x80 to 0xFF: " + reasonCode);
            }
            return new ConnectAction(null, reasonCode, reason);
        }

        /**
         * Whether the connection is refused.
         *
         * @return true for a refusal
         */
        public boolean refused() {
            return connect == null;
        }
    }
}
