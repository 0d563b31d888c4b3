package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.conduit.api.hooks.ConnectInterceptor;
import io.conduit.api.hooks.Decision;
import io.conduit.api.mqtt.ClientInfo;
import io.conduit.api.mqtt.ConnectPacket;
import io.conduit.plugin.PluginHooks;
import io.conduit.persistence.BatchWriter;
import io.conduit.routing.Message;
import io.conduit.routing.Router;
import io.conduit.routing.Subscription;
import io.conduit.routing.Topics;
import io.conduit.security.AuthExchange;
import io.conduit.security.AuthResult;
import io.conduit.security.CertificateIdentity;
import io.conduit.security.Authorizer;
import io.conduit.security.ClientPermissions;
import io.conduit.security.ConnectRequest;
import io.conduit.security.EnhancedAuthenticator;
import io.conduit.session.Outbound;
import io.conduit.session.Session;
import io.conduit.session.SessionRegistry;
import io.conduit.session.SessionStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnAckVariableHeader;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import org.jboss.logging.Logger;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static io.conduit.mqtt.ReasonCodes.*;
import static io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.*;

/**
 * The protocol state of one MQTT connection: CONNECT and authentication, then every control packet of 3.1, 3.1.1
 * and 5.0, handed to the session and the router. Runs on the channel's event loop; only the {@link Outbound} methods
 * are called from other threads (under the session's monitor).
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter implements Outbound {

    private static final Logger LOG = Logger.getLogger(MqttConnection.class);
    // The decoder records the protocol version of CONNECT in this channel attribute; the encoder reads it too.
    private static final AttributeKey<MqttVersion> CODEC_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    static final String IDLE_HANDLER = "idle";
    private static final long CLOSE_GRACE_MILLIS = 2000;

    private enum State { AWAIT_CONNECT, AUTHENTICATING, CONNECTED, CLOSED }

    private final Broker broker;
    private final PluginHooks plugins;
    private final ConduitConfig.Mqtt mqttConfig;
    /**
     * Packets for the wire, from any thread. One drain task on the channel's event loop writes all of them and then
     * flushes once: writing from other threads straight into the channel would queue a task per packet, and a flush
     * task queued among them would leave later packets unflushed.
     */
    private final Queue<MqttMessage> outbound = PlatformDependent.newMpscQueue();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drainOutbound;

    private Channel channel;
    private State state = State.AWAIT_CONNECT;
    private boolean v5;
    private int protocolLevel;
    private String clientId;
    private String username;
    private Authorizer.ClientIdentity identity;
    /** The registry device that vouched for this client, or null. */
    private volatile Long deviceId;
    /** A refusing CONNACK is being held back (brute-force back-off): the connect timeout must not close first. */
    private boolean refusalPending;
    private ClientPermissions permissions;
    private Session session;
    private boolean cleanStart;
    private long sessionExpiry;
    /** The 5.0 Session Expiry Interval asked for, to tell the client when the broker chose a shorter one. */
    private long requestedExpiry;
    private boolean assignedClientId;
    private Message will;
    private long willDelay;
    private int keepAlive;
    private int serverKeepAlive = -1;
    private int clientReceiveMaximum = 65535;
    private long clientMaximumPacketSize = Long.MAX_VALUE;
    private boolean problemInformation = true;
    private String authMethod;
    private AuthExchange authExchange;
    /** 5.0 user properties of CONNECT, as the connect interceptors left them. */
    private List<Map.Entry<String, String>> connectUserProperties = List.of();
    private String[] inboundAliases;
    private OutboundAliases outboundAliases;
    private ArrayDeque<MqttMessage> heldWhileConnecting;
    /**
     * Inbound work waiting for plugins. While it is not done, newly read packets queue behind it so that a client's
     * packets are handled in order; reading pauses meanwhile. Event-loop confined.
     */
    private CompletableFuture<Void> inboundChain = CompletableFuture.completedFuture(null);
    /** Set by a handler that handed work to plugins during the current dispatch. */
    private CompletableFuture<Void> startedAsync;
    /** Why reading is paused (bits); reading resumes when none is left. */
    private int readPauses;
    private int pendingPluginWork;
    private static final int PAUSE_CONNECT = 1;
    private static final int PAUSE_DATABASE = 2;
    private static final int PAUSE_PLUGINS = 4;
    private ClientInfo info;
    /** The last acknowledgement waiting for durability; later ones queue behind it. Event-loop confined. */
    private CompletableFuture<Void> ackChain = CompletableFuture.completedFuture(null);
    /** Set when the session closes the connection because another one took it over. */
    private volatile boolean takenOver;
    /** The session was opened for this connection, so closing it must be reported to the registry. */
    private boolean accepted;
    private boolean graceful;

    MqttConnection(Broker broker) {
        this.broker = broker;
        this.plugins = broker.plugins();
        this.mqttConfig = broker.config().mqtt();
    }

    // ---- channel lifecycle -------------------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        broker.metrics().sockets.incrementAndGet();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        broker.metrics().sockets.decrementAndGet();
        if (heldWhileConnecting != null) {
            heldWhileConnecting.forEach(ReferenceCountUtil::release);
            heldWhileConnecting = null;
        }
        if (accepted) {
            broker.metrics().clientsConnected.decrementAndGet();
            broker.connectedClients().remove(this);
            broker.sessions().closed(session, this, will, willDelay);
            plugins.disconnected(clientInfo(), graceful);
        }
        state = State.CLOSED;
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (state == State.CONNECTED) {
                LOG.debugf("client %s: keep alive timeout", clientId);
                disconnect(KEEP_ALIVE_TIMEOUT, "keep alive timeout");
            } else if (!refusalPending) {
                LOG.debugf("%s: no CONNECT within the connect timeout", channel.remoteAddress());
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debugf(cause, "client %s: connection error", clientId);
        ctx.close();
    }

    // ---- inbound -----------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MqttMessage m)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (m.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            onDecodeFailure(m.decoderResult().cause());
            return;
        }
        if (state == State.AUTHENTICATING && m.fixedHeader().messageType() != MqttMessageType.AUTH) {
            // Pipelined packets that arrived with CONNECT wait until the connection is accepted.
            if (heldWhileConnecting == null) {
                heldWhileConnecting = new ArrayDeque<>();
            }
            heldWhileConnecting.add(m);
            return;
        }
        if (!inboundChain.isDone()) {
            inboundChain = inboundChain.thenComposeAsync(ignored -> dispatchTracked(m), channel.eventLoop());
            return;
        }
        CompletableFuture<Void> started = dispatchTracked(m);
        if (!started.isDone()) {
            inboundChain = started;
        }
    }

    /** Dispatches and releases a packet; returns the plugin work it started (done when none). */
    private CompletableFuture<Void> dispatchTracked(MqttMessage m) {
        startedAsync = null;
        try {
            dispatch(m);
        } finally {
            ReferenceCountUtil.release(m);
        }
        CompletableFuture<Void> started = startedAsync;
        startedAsync = null;
        return started == null ? CompletableFuture.completedFuture(null) : started;
    }

    /**
     * Continues a handler once plugin work completes, on the event loop and in packet order. When the work is
     * already done (no plugins), continues at once. Reading pauses until all such work is finished.
     */
    private <T> void afterPlugins(CompletionStage<T> work, java.util.function.Consumer<T> then) {
        CompletableFuture<T> f = work.toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            then.accept(f.join());
            return;
        }
        pendingPluginWork++;
        pauseReading(PAUSE_PLUGINS);
        startedAsync = f.handleAsync((value, error) -> {
            try {
                if (error != null) {
                    LOG.warnf(error, "client %s: plugin work failed", clientId);
                } else if (state == State.CONNECTED) {
                    then.accept(value);
                }
            } finally {
                if (--pendingPluginWork == 0) {
                    resumeReading(PAUSE_PLUGINS);
                }
            }
            return null;
        }, channel.eventLoop());
    }

    private void pauseReading(int reason) {
        readPauses |= reason;
        channel.config().setAutoRead(false);
    }

    private void resumeReading(int reason) {
        readPauses &= ~reason;
        if (readPauses == 0) {
            channel.config().setAutoRead(true);
        }
    }

    private void dispatch(MqttMessage m) {
        MqttMessageType type = m.fixedHeader().messageType();
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.AWAIT_CONNECT) {
            if (type == MqttMessageType.CONNECT) {
                onConnect((MqttConnectMessage) m);
            } else {
                LOG.debugf("%s: %s before CONNECT", channel.remoteAddress(), type);
                close();
            }
            return;
        }
        if (state == State.AUTHENTICATING) {
            onAuth(m);
            return;
        }
        switch (type) {
            case PUBLISH -> onPublish((MqttPublishMessage) m);
            case PUBACK -> session.onPuback(packetId(m));
            case PUBREC -> onPubrec(m);
            case PUBREL -> onPubrel(m);
            case PUBCOMP -> session.onPubcomp(packetId(m));
            case SUBSCRIBE -> onSubscribe((MqttSubscribeMessage) m);
            case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) m);
            case PINGREQ -> write(new MqttMessage(fixed(MqttMessageType.PINGRESP, MqttQoS.AT_MOST_ONCE)));
            case DISCONNECT -> onDisconnect(m);
            case AUTH -> onAuth(m);
            case CONNECT -> protocolError("second CONNECT");
            default -> protocolError("unexpected " + type);
        }
    }

    private void onDecodeFailure(Throwable cause) {
        LOG.debugf("client %s: bad packet: %s", clientId, cause.toString());
        if (state == State.AWAIT_CONNECT) {
            MqttVersion version = channel.attr(CODEC_VERSION).get();
            v5 = version == MqttVersion.MQTT_5;
            if (cause instanceof MqttUnacceptableProtocolVersionException) {
                connackAndClose(UNSUPPORTED_PROTOCOL_VERSION, null);
            } else if (cause instanceof MqttIdentifierRejectedException) {
                connackAndClose(CLIENT_IDENTIFIER_NOT_VALID, null);
            } else if (cause instanceof TooLongFrameException) {
                connackAndClose(PACKET_TOO_LARGE, null);
            } else {
                connackAndClose(MALFORMED_PACKET, null);
            }
        } else if (cause instanceof TooLongFrameException) {
            disconnect(PACKET_TOO_LARGE, "packet larger than " + mqttConfig.limits().maxPacketSize() + " bytes");
        } else {
            disconnect(MALFORMED_PACKET, "malformed packet");
        }
    }

    // ---- CONNECT and authentication --------------------------------------------------------------------------

    private void onConnect(MqttConnectMessage connect) {
        MqttConnectVariableHeader header = connect.variableHeader();
        MqttConnectPayload payload = connect.payload();
        protocolLevel = header.version();
        v5 = protocolLevel == 5;
        MqttProperties props = header.properties();

        cleanStart = header.isCleanSession();
        clientId = payload.clientIdentifier();
        if (broker.metrics().clientsConnected.get() >= mqttConfig.limits().maxConnections() && !reconnecting()) {
            connackAndClose(QUOTA_EXCEEDED, "connection limit reached");
            return;
        }
        if (clientId.isEmpty()) {
            if (!v5 && !cleanStart) {
                // MQTT 3.1.1 section 3.1.3.1: a zero-byte client id needs clean session.
                connackAndClose(CLIENT_IDENTIFIER_NOT_VALID, null);
                return;
            }
            clientId = "conduit-" + UUID.randomUUID();
            assignedClientId = true;
        }
        username = payload.userName();
        X509Certificate certificate = TlsContexts.clientCertificate(channel);
        boolean certificateIdentity = false;
        if (certificate != null && broker.certificateIdentity() != CertificateIdentity.NONE) {
            String fromCertificate = broker.certificateIdentity().username(certificate);
            if (fromCertificate == null) {
                connackAndClose(NOT_AUTHORIZED, "the client certificate has no "
                        + broker.certificateIdentity().name().toLowerCase(java.util.Locale.ROOT));
                return;
            }
            // The certificate names the client; a CONNECT username may repeat that name but not replace it.
            if (username != null && !username.equals(fromCertificate)) {
                connackAndClose(AuthResult.BAD_USERNAME_OR_PASSWORD, "username differs from the client certificate");
                return;
            }
            username = fromCertificate;
            certificateIdentity = true;
        }
        identity = new Authorizer.ClientIdentity(clientId, username);
        permissions = broker.authorizer().permissions(identity);

        long maxExpiry = broker.config().session().maxExpiryInterval();
        if (v5) {
            requestedExpiry = intProperty(props, SESSION_EXPIRY_INTERVAL, 0) & 0xFFFFFFFFL;
            sessionExpiry = Math.min(requestedExpiry, maxExpiry);
            clientReceiveMaximum = intProperty(props, RECEIVE_MAXIMUM, 65535);
            long maxPacket = intProperty(props, MAXIMUM_PACKET_SIZE, 0) & 0xFFFFFFFFL;
            if (clientReceiveMaximum == 0 || props.getProperty(MAXIMUM_PACKET_SIZE.value()) != null && maxPacket == 0) {
                connackAndClose(PROTOCOL_ERROR, "Receive Maximum and Maximum Packet Size must not be 0");
                return;
            }
            if (maxPacket > 0) {
                clientMaximumPacketSize = maxPacket;
            }
            int aliasMax = intProperty(props, TOPIC_ALIAS_MAXIMUM, 0);
            if (aliasMax > 0) {
                outboundAliases = new OutboundAliases(aliasMax);
            }
            problemInformation = intProperty(props, REQUEST_PROBLEM_INFORMATION, 1) == 1;
            connectUserProperties = userProperties(props);
        } else {
            sessionExpiry = cleanStart ? 0 : maxExpiry;
        }
        if (mqttConfig.topicAliasMaximum() > 0) {
            inboundAliases = new String[mqttConfig.topicAliasMaximum() + 1];
        }

        keepAlive = header.keepAliveTimeSeconds();
        int maxKeepAlive = mqttConfig.maxKeepAlive();
        if (v5 && (keepAlive > maxKeepAlive || keepAlive == 0 && maxKeepAlive < 65535)) {
            serverKeepAlive = maxKeepAlive;
            keepAlive = maxKeepAlive;
        }

        if (header.isWillFlag()) {
            String willTopic = payload.willTopic();
            if (!Topics.isValidName(willTopic, mqttConfig.limits().maxTopicLevels())) {
                connackAndClose(TOPIC_NAME_INVALID, "invalid will topic");
                return;
            }
            MqttProperties willProps = payload.willProperties();
            will = toMessage(willTopic, payload.willMessageInBytes(), header.willQos(), header.isWillRetain(),
                    v5 ? willProps : null);
            willDelay = v5 ? intProperty(willProps, WILL_DELAY_INTERVAL, 0) & 0xFFFFFFFFL : 0;
        }

        authMethod = v5 ? stringProperty(props, AUTHENTICATION_METHOD) : null;
        ConnectRequest request = new ConnectRequest(clientId, username, payload.passwordInBytes(), protocolLevel,
                channel.remoteAddress(), authMethod, v5 ? bytesProperty(props, AUTHENTICATION_DATA) : null,
                certificate, certificateIdentity);

        state = State.AUTHENTICATING;
        if (authMethod != null) {
            EnhancedAuthenticator method = broker.enhancedAuthenticator(authMethod);
            if (method == null) {
                connackAndClose(AuthResult.BAD_AUTHENTICATION_METHOD, "unsupported authentication method");
                return;
            }
            authExchange = method.begin(request);
            authStep(request.authenticationData());
            return;
        }
        pauseReading(PAUSE_CONNECT);
        broker.authenticate(request, clientInfo()).whenComplete((result, error) -> channel.eventLoop().execute(
                () -> {
                    if (state == State.CLOSED) {
                        return;
                    }
                    if (error != null) {
                        resumeReading(PAUSE_CONNECT);
                        LOG.warnf(error, "client %s: authentication failed with an error", clientId);
                        connackAndClose(UNSPECIFIED_ERROR, "authentication error");
                    } else if (!result.accepted()) {
                        refuse(result);
                    } else {
                        resumeReading(PAUSE_CONNECT);
                        broker.bruteForce().succeeded(clientId);
                        authenticated(result.identity());
                        accept(null);
                    }
                }));
    }

    /** Who the authentication chain says the client is: its verified username and groups, for the ACL. */
    private void authenticated(AuthResult.Identity who) {
        if (who != null) {
            identity = new Authorizer.ClientIdentity(clientId, who.username(), who.groups());
            permissions = broker.authorizer().permissions(identity);
            deviceId = who.deviceId();
        }
    }

    /**
     * Refuses the CONNECT, after the brute-force back-off of this client id and address. Reading stays paused
     * meanwhile, and the wait is a timer on the event loop.
     */
    private void refuse(AuthResult result) {
        // The broker's own trouble is not the client's failure.
        boolean ours = result.reasonCode() == AuthResult.SERVER_BUSY
                || result.reasonCode() == AuthResult.SERVER_UNAVAILABLE;
        long delay = ours ? 0
                : broker.bruteForce().failed(clientId, channel.remoteAddress());
        LOG.debugf("client %s: authentication refused (0x%02x %s)%s", clientId, result.reasonCode(), result.reason(),
                delay > 0 ? ", answering in " + delay + " ms" : "");
        if (delay <= 0) {
            resumeReading(PAUSE_CONNECT);
            connackAndClose(result.reasonCode(), result.reason());
            return;
        }
        refusalPending = true;
        channel.eventLoop().schedule(() -> {
            refusalPending = false;
            if (state != State.CLOSED && channel.isActive()) {
                connackAndClose(result.reasonCode(), result.reason());
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** A client replacing its own live connection frees the slot it takes, so the connection limit lets it in. */
    private boolean reconnecting() {
        Session existing = clientId.isEmpty() ? null : broker.sessions().get(clientId);
        return existing != null && existing.isOnline();
    }

    /** AUTH packets: the continuation of CONNECT's exchange, or a 5.0 re-authentication on a live connection. */
    private void onAuth(MqttMessage m) {
        if (m.fixedHeader().messageType() != MqttMessageType.AUTH || authMethod == null) {
            protocolError("AUTH without an authentication method");
            return;
        }
        MqttReasonCodeAndPropertiesVariableHeader header = (MqttReasonCodeAndPropertiesVariableHeader) m.variableHeader();
        int reason = header.reasonCode() & 0xFF;
        MqttProperties props = header.properties();
        if (!authMethod.equals(stringProperty(props, AUTHENTICATION_METHOD))) {
            protocolError("AUTH with a different authentication method");
            return;
        }
        // Re-authentication opens with 0x19; 0x18 answers a challenge, at CONNECT and in re-authentication alike.
        if (state == State.CONNECTED && reason == RE_AUTHENTICATE && authExchange == null) {
            EnhancedAuthenticator method = broker.enhancedAuthenticator(authMethod);
            if (method == null) {
                // The plugin that served the method at CONNECT was unloaded since.
                disconnect(AuthResult.BAD_AUTHENTICATION_METHOD, "authentication method no longer available");
                return;
            }
            authExchange = method.beginReauthentication(new ConnectRequest(clientId,
                    username,
                    null, protocolLevel, channel.remoteAddress(), authMethod, bytesProperty(props, AUTHENTICATION_DATA)));
        } else if (reason != CONTINUE_AUTHENTICATION || authExchange == null) {
            protocolError("unexpected AUTH reason code");
            return;
        }
        authStep(bytesProperty(props, AUTHENTICATION_DATA));
    }

    private void authStep(byte[] clientData) {
        AuthExchange exchange = authExchange;
        exchange.next(clientData).whenComplete((step, error) -> channel.eventLoop().execute(() -> {
            if (state == State.CLOSED) {
                return;
            }
            boolean connecting = state == State.AUTHENTICATING;
            if (error != null || step instanceof AuthExchange.Failure) {
                int code = error != null ? UNSPECIFIED_ERROR : ((AuthExchange.Failure) step).reasonCode();
                String reason = error != null ? "authentication error" : ((AuthExchange.Failure) step).reason();
                authExchange = null;
                if (connecting) {
                    connackAndClose(code, reason);
                } else {
                    disconnect(code, reason);
                }
            } else if (step instanceof AuthExchange.Continue c) {
                write(authPacket(CONTINUE_AUTHENTICATION, c.data()));
            } else if (step instanceof AuthExchange.Success s) {
                authExchange = null;
                if (connecting) {
                    accept(s.data());
                } else {
                    write(authPacket(SUCCESS, s.data()));
                }
            }
        }));
    }

    private MqttMessage authPacket(int reason, byte[] data) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.StringProperty(AUTHENTICATION_METHOD.value(), authMethod));
        if (data != null) {
            props.add(new MqttProperties.BinaryProperty(AUTHENTICATION_DATA.value(), data));
        }
        return new MqttMessage(fixed(MqttMessageType.AUTH, MqttQoS.AT_MOST_ONCE),
                new MqttReasonCodeAndPropertiesVariableHeader((byte) reason, props));
    }

    /**
     * Authentication passed: the connect interceptors have their say (packets behind CONNECT stay held meanwhile),
     * then the session opens.
     */
    private void accept(byte[] authData) {
        if (!plugins.hasConnectInterceptors()) {
            openSession(authData);
            return;
        }
        CompletableFuture<ConnectInterceptor.ConnectAction> decided =
                plugins.interceptConnect(connectData()).toCompletableFuture();
        if (decided.isDone() && !decided.isCompletedExceptionally()) {
            applyConnectAction(decided.join(), authData);
            return;
        }
        decided.whenComplete((action, error) -> channel.eventLoop().execute(() -> {
            if (state == State.CLOSED) {
                return;
            }
            if (error != null) {
                LOG.warnf(error, "client %s: connect interceptors failed", clientId);
                connackAndClose(UNSPECIFIED_ERROR, "connect interceptor error");
            } else {
                applyConnectAction(action, authData);
            }
        }));
    }

    private void applyConnectAction(ConnectInterceptor.ConnectAction action, byte[] authData) {
        if (action.refused()) {
            connackAndClose(action.reasonCode(), action.reason());
            return;
        }
        ConnectPacket changed = action.connect();
        sessionExpiry = Math.min(changed.sessionExpiryInterval() & 0xFFFFFFFFL,
                broker.config().session().maxExpiryInterval());
        will = changed.will().map(w -> PluginHooks.toMessage(w, clientId)).orElse(null);
        connectUserProperties = changed.userProperties();
        openSession(authData);
    }

    /** Open the session, send CONNACK, then let the session send what it holds. */
    private void openSession(byte[] authData) {
        // After the connect interceptors, which may have replaced the will.
        if (will != null && !broker.authorizer().canPublish(identity, will.topic(), will.qos(), will.retain())) {
            connackAndClose(NOT_AUTHORIZED, "not authorized to publish the will topic");
            return;
        }
        SessionRegistry.Opened opened = broker.sessions().open(clientId, cleanStart, sessionExpiry, protocolLevel,
                this);
        session = opened.session();
        accepted = true;
        broker.connectedClients().add(this);
        broker.metrics().clientsConnected.incrementAndGet();
        broker.metrics().connectionsTotal.increment();

        if (keepAlive > 0) {
            channel.pipeline().replace(IDLE_HANDLER, IDLE_HANDLER,
                    new IdleStateHandler(keepAlive * 1500L, 0, 0, TimeUnit.MILLISECONDS));
        } else {
            channel.pipeline().remove(IDLE_HANDLER);
        }
        CompletionStage<Void> stored = opened.stored();
        if (stored != null && broker.config().persistence().durableAck() && !doneOk(stored)) {
            // Session present (or a clean start's new session) is a promise about stored state: a crash before the
            // session's row (and the end of the one it replaced) commits would break it. Packets wait meanwhile.
            pauseReading(PAUSE_CONNECT);
            stored.whenCompleteAsync((ok, error) -> {
                resumeReading(PAUSE_CONNECT);
                if (state != State.AUTHENTICATING) {
                    return;
                }
                if (error != null) {
                    LOG.warnf("client %s: session not stored: %s", clientId, error.getMessage());
                    connackAndClose(QUOTA_EXCEEDED, "session could not be stored");
                } else {
                    connected(opened, authData);
                }
            }, channel.eventLoop());
            return;
        }
        connected(opened, authData);
    }

    /** Sends CONNACK, then lets the session send what it holds and the packets that came meanwhile be read. */
    private void connected(SessionRegistry.Opened opened, byte[] authData) {
        state = State.CONNECTED;
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (v5) {
            props = new MqttProperties();
            if (assignedClientId) {
                props.add(new MqttProperties.StringProperty(ASSIGNED_CLIENT_IDENTIFIER.value(), clientId));
            }
            if (requestedExpiry != sessionExpiry) {
                props.add(new MqttProperties.IntegerProperty(SESSION_EXPIRY_INTERVAL.value(), (int) sessionExpiry));
            }
            props.add(new MqttProperties.IntegerProperty(RECEIVE_MAXIMUM.value(), mqttConfig.limits().maxInflight()));
            props.add(new MqttProperties.IntegerProperty(MAXIMUM_PACKET_SIZE.value(),
                    mqttConfig.limits().maxPacketSize()));
            if (mqttConfig.topicAliasMaximum() > 0) {
                props.add(new MqttProperties.IntegerProperty(TOPIC_ALIAS_MAXIMUM.value(),
                        mqttConfig.topicAliasMaximum()));
            }
            props.add(new MqttProperties.IntegerProperty(RETAIN_AVAILABLE.value(), 1));
            props.add(new MqttProperties.IntegerProperty(WILDCARD_SUBSCRIPTION_AVAILABLE.value(), 1));
            props.add(new MqttProperties.IntegerProperty(SUBSCRIPTION_IDENTIFIER_AVAILABLE.value(), 1));
            props.add(new MqttProperties.IntegerProperty(SHARED_SUBSCRIPTION_AVAILABLE.value(), 1));
            if (serverKeepAlive >= 0) {
                props.add(new MqttProperties.IntegerProperty(SERVER_KEEP_ALIVE.value(), serverKeepAlive));
            }
            if (authMethod != null) {
                props.add(new MqttProperties.StringProperty(AUTHENTICATION_METHOD.value(), authMethod));
                if (authData != null) {
                    props.add(new MqttProperties.BinaryProperty(AUTHENTICATION_DATA.value(), authData));
                }
            }
        }
        write(new MqttConnAckMessage(fixed(MqttMessageType.CONNACK, MqttQoS.AT_MOST_ONCE),
                new MqttConnAckVariableHeader(MqttConnectReturnCode.CONNECTION_ACCEPTED, opened.present(), props)));
        session.resume(this);
        plugins.connected(clientInfo(), opened.present());

        if (heldWhileConnecting != null) {
            ArrayDeque<MqttMessage> held = heldWhileConnecting;
            heldWhileConnecting = null;
            for (MqttMessage m : held) {
                try {
                    dispatch(m);
                } finally {
                    ReferenceCountUtil.release(m);
                }
            }
        }
    }

    private void connackAndClose(int reasonCode, String reason) {
        if (!v5 && (reasonCode == MALFORMED_PACKET || reasonCode == PROTOCOL_ERROR || reasonCode == PACKET_TOO_LARGE)) {
            // MQTT 3.1.1 has no CONNACK code for a broken CONNECT: the server just closes (section 3.1.4).
            close();
            return;
        }
        state = State.CLOSED;
        int code = v5 ? reasonCode : toV3Connack(reasonCode);
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (v5 && reason != null && problemInformation) {
            props = new MqttProperties();
            props.add(new MqttProperties.StringProperty(REASON_STRING.value(), reason));
        }
        MqttConnAckMessage connack = new MqttConnAckMessage(fixed(MqttMessageType.CONNACK, MqttQoS.AT_MOST_ONCE),
                new MqttConnAckVariableHeader(MqttConnectReturnCode.valueOf((byte) code), false, props));
        sendAndClose(connack, true);
    }

    /**
     * Sends a last packet and closes once the client has closed its side, or after a grace period. Closing at once
     * while the client's packets are still unread makes the kernel reset the connection, and the client may then
     * lose the very packet that tells it why (CONNACK refusal, DISCONNECT reason). Input is ignored meanwhile.
     */
    private void sendAndClose(MqttMessage last, boolean linger) {
        state = State.CLOSED;
        drainOutbound();
        if (!linger) {
            channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        channel.writeAndFlush(last).addListener((ChannelFutureListener) f ->
                f.channel().eventLoop().schedule(() -> f.channel().close(), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS));
    }

    // ---- PUBLISH and its acknowledgements --------------------------------------------------------------------

    private void onPublish(MqttPublishMessage publish) {
        MqttPublishVariableHeader header = publish.variableHeader();
        int qos = publish.fixedHeader().qosLevel().value();
        boolean retain = publish.fixedHeader().isRetain();
        int packetId = header.packetId();
        String topic = header.topicName();
        MqttProperties props = header.properties();
        broker.metrics().messagesReceived.increment();

        if (v5) {
            Integer alias = (Integer) propertyValue(props, TOPIC_ALIAS);
            if (alias != null) {
                if (inboundAliases == null || alias <= 0 || alias >= inboundAliases.length) {
                    disconnect(TOPIC_ALIAS_INVALID, "topic alias out of range");
                    return;
                }
                if (topic.isEmpty()) {
                    topic = inboundAliases[alias];
                    if (topic == null) {
                        protocolError("unknown topic alias " + alias);
                        return;
                    }
                } else {
                    inboundAliases[alias] = topic;
                }
            }
        }
        if (!Topics.isValidName(topic, mqttConfig.limits().maxTopicLevels())) {
            disconnect(topic.isEmpty() ? PROTOCOL_ERROR : TOPIC_NAME_INVALID, "invalid topic name");
            return;
        }
        CompletionStage<Void> durable = null;
        if (qos == 2) {
            durable = session.receiveQos2(packetId);
            if (durable == null) {
                // A retransmission of a message already routed: acknowledge again, do not route twice.
                acknowledge(MqttMessageType.PUBREC, packetId, SUCCESS, null, null);
                return;
            }
            if (session.pendingQos2() > mqttConfig.limits().maxInflight()) {
                disconnect(RECEIVE_MAXIMUM_EXCEEDED, "more than Receive Maximum QoS 2 messages unacknowledged");
                return;
            }
        }

        byte[] payload = ByteBufUtil.getBytes(publish.payload());
        Message message = toMessage(topic, payload, qos, retain, v5 ? props : null);
        if (message.payloadFormat() != null && message.payloadFormat() == 1 && !isUtf8(payload)) {
            finishPublish(qos, packetId, PAYLOAD_FORMAT_INVALID,
                    "payload is not valid UTF-8 but the Payload Format Indicator says it is", durable);
            return;
        }
        if (!broker.authorizer().canPublish(identity, topic, qos, retain)) {
            if (!v5 && broker.disconnectV3OnDeniedPublish()) {
                LOG.debugf("client %s: not authorized to publish to %s: disconnecting", clientId, topic);
                if (qos == 2) {
                    session.releaseQos2(packetId);
                }
                close();
                return;
            }
            finishPublish(qos, packetId, NOT_AUTHORIZED, "not authorized to publish to " + topic
                    + (retain ? " with RETAIN" : ""), durable);
            return;
        }
        if (!plugins.hasPublishHooks()) {
            routeAndAcknowledge(message, qos, packetId, durable);
            return;
        }
        CompletionStage<Void> idDurable = durable;
        afterPlugins(plugins.admitPublish(clientInfo(), message), admission -> {
            if (admission.message() == null) {
                int code = admission.reasonCode() >= 0x80 ? admission.reasonCode() : UNSPECIFIED_ERROR;
                finishPublish(qos, packetId, code, admission.reason(), idDurable);
            } else {
                routeAndAcknowledge(admission.message(), qos, packetId, idDurable);
            }
        });
    }

    private void routeAndAcknowledge(Message message, int qos, int packetId, CompletionStage<Void> durable) {
        Router.Routed routed = broker.router().publish(message);
        int reason = routed.subscribers() == 0 ? NO_MATCHING_SUBSCRIBERS : SUCCESS;
        CompletionStage<Void> stored = durable == null ? routed.durable() : routed.durable() == null ? durable
                : durable.thenCombine(routed.durable(), (a, b) -> null);
        finishPublish(qos, packetId, reason, null, stored);
        BatchWriter writer = broker.writer();
        if (writer != null && writer.saturated() && (readPauses & PAUSE_DATABASE) == 0) {
            // The database is behind: stop reading from this publisher until the write queue drains.
            pauseReading(PAUSE_DATABASE);
            writer.whenDrained(() -> channel.eventLoop().execute(() -> resumeReading(PAUSE_DATABASE)));
        }
    }

    private void finishPublish(int qos, int packetId, int reason, String reasonString, CompletionStage<Void> durable) {
        if (qos == 1) {
            acknowledge(MqttMessageType.PUBACK, packetId, reason, reasonString, durable);
        } else if (qos == 2) {
            if (reason >= 0x80) {
                // A failed QoS 2 exchange ends at PUBREC: forget the id so a new message may reuse it.
                session.releaseQos2(packetId);
            }
            acknowledge(MqttMessageType.PUBREC, packetId, reason, reasonString, durable);
        }
    }

    /**
     * Sends PUBACK / PUBREC (and PUBCOMP) once the message is durable (when durable acknowledgement is on), in the
     * order the packets came: an acknowledgement that need not wait still queues behind one that does.
     */
    private void acknowledge(MqttMessageType type, int packetId, int reason, String reasonString,
                             CompletionStage<Void> durable) {
        afterStored(durable, error -> {
            // PUBCOMP has no failure code, and the id is already forgotten here.
            if (error == null || type == MqttMessageType.PUBCOMP) {
                write(pubReply(type, packetId, reason, reasonString));
            } else if (v5) {
                LOG.warnf("client %s: message %d not stored: %s", clientId, packetId, error.getMessage());
                if (type == MqttMessageType.PUBREC) {
                    session.releaseQos2(packetId);
                }
                write(pubReply(type, packetId, QUOTA_EXCEEDED, "message could not be stored"));
            } else {
                // 3.x has no negative acknowledgement: close, and the client sends the message again.
                close();
            }
        });
    }

    /**
     * Runs a reply with the write error (null on success) once {@code durable} completes, when durable
     * acknowledgement is on, and always in the order the packets came; at once when nothing waits.
     */
    private void afterStored(CompletionStage<Void> durable, Consumer<Throwable> reply) {
        // A write refused at once (full queue) is answered as a failure also without durable acknowledgement: the
        // message was not taken.
        boolean wait = durable != null && (broker.config().persistence().durableAck() && !doneOk(durable)
                || durable.toCompletableFuture().isCompletedExceptionally());
        if (!wait && ackChain.isDone()) {
            reply.accept(null);
            return;
        }
        CompletableFuture<Throwable> outcome = wait ? durable.toCompletableFuture().handle((ok, error) -> error)
                : CompletableFuture.completedFuture(null);
        ackChain = ackChain.thenCombine(outcome, (previous, error) -> error).thenAcceptAsync(reply,
                channel.eventLoop());
    }

    private static boolean doneOk(CompletionStage<Void> stage) {
        CompletableFuture<Void> f = stage.toCompletableFuture();
        return f.isDone() && !f.isCompletedExceptionally();
    }

    private void onPubrec(MqttMessage m) {
        int packetId = packetId(m);
        int reason = m.variableHeader() instanceof MqttPubReplyMessageVariableHeader h ? h.reasonCode() & 0xFF : 0;
        if (!session.onPubrec(packetId, reason >= 0x80) && reason < 0x80) {
            write(pubReply(MqttMessageType.PUBREL, packetId, PACKET_IDENTIFIER_NOT_FOUND,
                    "no QoS 2 message with packet identifier " + packetId));
        }
    }

    private void onPubrel(MqttMessage m) {
        int packetId = packetId(m);
        // PUBCOMP frees the packet id for a new message: were the stored id to outlive a crash, that message would
        // be taken for a retransmission and dropped.
        CompletionStage<Void> forgotten = session.releaseQos2(packetId);
        boolean known = forgotten != null;
        acknowledge(MqttMessageType.PUBCOMP, packetId, known ? SUCCESS : PACKET_IDENTIFIER_NOT_FOUND,
                known ? null : "no QoS 2 message with packet identifier " + packetId, forgotten);
    }

    private MqttMessage pubReply(MqttMessageType type, int packetId, int reason, String reasonString) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        if (!v5) {
            return new MqttMessage(fixed(type, qos), MqttMessageIdVariableHeader.from(packetId));
        }
        return new MqttMessage(fixed(type, qos),
                new MqttPubReplyMessageVariableHeader(packetId, (byte) reason, reasonProperties(reasonString)));
    }

    // ---- SUBSCRIBE / UNSUBSCRIBE -----------------------------------------------------------------------------

    private void onSubscribe(MqttSubscribeMessage subscribe) {
        MqttMessageIdAndPropertiesVariableHeader header = subscribe.idAndPropertiesVariableHeader();
        int subscriptionId = 0;
        if (v5) {
            Integer id = (Integer) propertyValue(header.properties(), SUBSCRIPTION_IDENTIFIER);
            if (id != null) {
                if (id <= 0 || id > 268_435_455) {
                    protocolError("Subscription Identifier out of range");
                    return;
                }
                subscriptionId = id;
            }
        }
        List<MqttTopicSubscription> requested = subscribe.payload().topicSubscriptions();
        if (requested.isEmpty()) {
            protocolError("SUBSCRIBE without topic filters");
            return;
        }
        int maxLevels = mqttConfig.limits().maxTopicLevels();
        int[] codes = new int[requested.size()];
        List<Subscription> candidates = new ArrayList<>(requested.size());
        for (int i = 0; i < requested.size(); i++) {
            MqttTopicSubscription t = requested.get(i);
            MqttSubscriptionOption option = t.option();
            String filter = t.topicName();
            String group = null;
            candidates.add(null);
            if (Topics.isShared(filter)) {
                Topics.SharedFilter shared = Topics.parseShared(filter);
                if (shared == null) {
                    codes[i] = v5 ? TOPIC_FILTER_INVALID : UNSPECIFIED_ERROR;
                    continue;
                }
                if (option.isNoLocal()) {
                    protocolError("No Local on a shared subscription");
                    return;
                }
                group = shared.group();
                filter = shared.filter();
            }
            if (!Topics.isValidFilter(filter, maxLevels)) {
                codes[i] = v5 ? TOPIC_FILTER_INVALID : UNSPECIFIED_ERROR;
                continue;
            }
            int qos = option.qos().value();
            if (!broker.authorizer().canSubscribe(identity, t.topicName(), qos)) {
                codes[i] = v5 ? NOT_AUTHORIZED : UNSPECIFIED_ERROR;
                continue;
            }
            candidates.set(i, new Subscription(clientId, filter, group, qos, option.isNoLocal(),
                    option.isRetainAsPublished(), option.retainHandling().value(), subscriptionId));
        }
        if (!plugins.hasSubscribeHooks()) {
            applySubscriptions(header.messageId(), requested, codes, candidates, null);
            return;
        }
        List<CompletableFuture<PluginHooks.SubscribeAdmission>> admissions = new ArrayList<>(candidates.size());
        for (Subscription c : candidates) {
            admissions.add(c == null ? CompletableFuture.completedFuture(null) : plugins
                    .admitSubscribe(clientInfo(), c, maxLevels).toCompletableFuture());
        }
        afterPlugins(CompletableFuture.allOf(admissions.toArray(new CompletableFuture[0])),
                done -> applySubscriptions(header.messageId(), requested, codes, candidates,
                        admissions.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * Subscribes what passed validation, every authorizer and every subscribe interceptor (which may have changed
     * it), then answers SUBACK and sends retained messages.
     */
    private void applySubscriptions(int packetId, List<MqttTopicSubscription> requested, int[] codes,
                                    List<Subscription> candidates, List<PluginHooks.SubscribeAdmission> admissions) {
        List<Subscription> sendRetained = new ArrayList<>();
        CompletionStage<Void> stored = SessionStore.DONE;
        for (int i = 0; i < candidates.size(); i++) {
            Subscription sub = candidates.get(i);
            if (sub == null) {
                continue;
            }
            PluginHooks.SubscribeAdmission admission = admissions == null ? null : admissions.get(i);
            if (admission != null && admission.subscription() == null) {
                // The Paho interop suite and many clients only know 0x80 from 3.1.1; 5.0 gets the plugin's code.
                codes[i] = v5 ? admission.reasonCode() : UNSPECIFIED_ERROR;
                continue;
            }
            if (admission != null) {
                sub = admission.subscription();
            }
            SessionRegistry.Subscribed subscribed = broker.sessions().subscribe(session, sub);
            stored = stored.thenCombine(subscribed.stored(), (a, b) -> null);
            codes[i] = sub.qos();
            // Retained messages are not sent to shared subscriptions (MQTT 5.0 section 4.8.2).
            if (sub.shareGroup() == null
                    && (sub.retainHandling() == 0 || sub.retainHandling() == 1 && subscribed.replaced() == null)) {
                sendRetained.add(sub);
            }
        }
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (v5) {
            StringBuilder refused = new StringBuilder();
            for (int i = 0; i < codes.length; i++) {
                if (codes[i] >= 0x80) {
                    refused.append(refused.length() == 0 ? "refused: " : ", ").append(requested.get(i).topicName())
                            .append(codes[i] == NOT_AUTHORIZED ? " (not authorized)"
                                    : codes[i] == TOPIC_FILTER_INVALID ? " (invalid filter)"
                                    : String.format(" (0x%02X)", codes[i]));
                }
            }
            props = reasonProperties(refused.length() == 0 ? null : refused.toString());
        }
        MqttSubAckMessage subAck = new MqttSubAckMessage(fixed(MqttMessageType.SUBACK, MqttQoS.AT_MOST_ONCE),
                new MqttMessageIdAndPropertiesVariableHeader(packetId, props), new MqttSubAckPayload(codes));
        // A session present after a crash must have every subscription its SUBACK confirmed.
        afterStored(stored, error -> {
            write(subAck);
            for (Subscription sub : sendRetained) {
                // Retained messages sent because of a new subscription keep RETAIN set (MQTT 5.0 section 3.3.1.3).
                broker.router().sendRetained(session, sub);
            }
        });
    }

    private void onUnsubscribe(MqttUnsubscribeMessage unsubscribe) {
        List<String> filters = unsubscribe.payload().topics();
        if (filters.isEmpty()) {
            protocolError("UNSUBSCRIBE without topic filters");
            return;
        }
        short[] codes = new short[filters.size()];
        boolean[] valid = new boolean[filters.size()];
        for (int i = 0; i < filters.size(); i++) {
            String key = filters.get(i);
            String filter = key;
            if (Topics.isShared(key)) {
                Topics.SharedFilter shared = Topics.parseShared(key);
                filter = shared == null ? null : shared.filter();
            }
            valid[i] = filter != null && Topics.isValidFilter(filter, mqttConfig.limits().maxTopicLevels());
            if (!valid[i]) {
                codes[i] = (short) TOPIC_FILTER_INVALID;
            }
        }
        int packetId = unsubscribe.idAndPropertiesVariableHeader().messageId();
        if (!plugins.hasUnsubscribeInterceptors()) {
            applyUnsubscribe(packetId, filters, codes, valid);
            return;
        }
        List<CompletableFuture<Decision>> decisions = new ArrayList<>(filters.size());
        for (int i = 0; i < filters.size(); i++) {
            decisions.add(!valid[i] ? CompletableFuture.completedFuture(null)
                    : plugins.interceptUnsubscribe(clientInfo(), filters.get(i)).toCompletableFuture());
        }
        afterPlugins(CompletableFuture.allOf(decisions.toArray(new CompletableFuture[0])), done -> {
            for (int i = 0; i < filters.size(); i++) {
                Decision d = decisions.get(i).join();
                if (d != null && d.outcome() == Decision.Outcome.DENY) {
                    valid[i] = false;
                    codes[i] = (short) (d.reasonCode() >= 0x80 ? d.reasonCode() : NOT_AUTHORIZED);
                }
            }
            applyUnsubscribe(packetId, filters, codes, valid);
        });
    }

    /** Removes the subscriptions of the filters still marked valid, then answers UNSUBACK. */
    private void applyUnsubscribe(int packetId, List<String> filters, short[] codes, boolean[] valid) {
        CompletionStage<Void> stored = SessionStore.DONE;
        for (int i = 0; i < filters.size(); i++) {
            String key = filters.get(i);
            if (valid[i]) {
                CompletionStage<Void> removed = broker.sessions().unsubscribe(session, key);
                codes[i] = (short) (removed != null ? SUCCESS : NO_SUBSCRIPTION_EXISTED);
                if (removed != null) {
                    stored = stored.thenCombine(removed, (a, b) -> null);
                }
            }
        }
        MqttProperties props = v5 ? reasonProperties(null) : MqttProperties.NO_PROPERTIES;
        MqttUnsubAckMessage unsubAck = new MqttUnsubAckMessage(fixed(MqttMessageType.UNSUBACK, MqttQoS.AT_MOST_ONCE),
                new MqttMessageIdAndPropertiesVariableHeader(packetId, props),
                v5 ? new MqttUnsubAckPayload(codes) : null);
        afterStored(stored, error -> write(unsubAck));
    }

    // ---- DISCONNECT --------------------------------------------------------------------------------------------

    private void onDisconnect(MqttMessage m) {
        int reason = 0;
        if (v5 && m.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h) {
            reason = h.reasonCode() & 0xFF;
            Object expiry = propertyValue(h.properties(), SESSION_EXPIRY_INTERVAL);
            if (expiry != null) {
                if (sessionExpiry == 0 && (Integer) expiry != 0) {
                    // MQTT 5.0 section 3.14.2.2.2: a session that was to end with the connection cannot be revived.
                    protocolError("Session Expiry Interval set on DISCONNECT after 0 on CONNECT");
                    return;
                }
                sessionExpiry = Math.min(((Integer) expiry) & 0xFFFFFFFFL,
                        broker.config().session().maxExpiryInterval());
                session.expiryInterval(sessionExpiry);
            }
        }
        graceful = true;
        // 0x04 "Disconnect with Will Message" keeps the will; any other reason from the client discards it.
        if (reason != 0x04) {
            will = null;
        }
        channel.close();
    }

    /** Closes with a reason: 5.0 clients get a DISCONNECT first; 3.x clients just see the socket close. */
    private void disconnect(int reasonCode, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        if (v5 && state == State.CONNECTED) {
            MqttProperties props = reasonProperties(reason);
            // A client that timed out or was replaced has nothing more to say: close without waiting for it.
            boolean linger = reasonCode != KEEP_ALIVE_TIMEOUT && reasonCode != SESSION_TAKEN_OVER;
            sendAndClose(new MqttMessage(fixed(MqttMessageType.DISCONNECT, MqttQoS.AT_MOST_ONCE),
                    new MqttReasonCodeAndPropertiesVariableHeader((byte) reasonCode, props)), linger);
        } else {
            close();
        }
    }

    private void protocolError(String reason) {
        LOG.debugf("client %s: protocol error: %s", clientId, reason);
        if (state == State.AUTHENTICATING) {
            connackAndClose(PROTOCOL_ERROR, reason);
        } else {
            disconnect(PROTOCOL_ERROR, reason);
        }
    }

    private void close() {
        state = State.CLOSED;
        channel.close();
    }

    // ---- Outbound: called by the session, from any thread -----------------------------------------------------

    @Override
    public boolean sendPublish(Message message, int qos, boolean retain, int[] subscriptionIds, int packetId,
                               boolean dup) {
        long now = System.nanoTime();
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        String topic = message.topic();
        if (v5) {
            props = new MqttProperties();
            if (message.expires()) {
                long remaining = message.remainingExpiry(now);
                if (remaining <= 0) {
                    return false;
                }
                props.add(new MqttProperties.IntegerProperty(PUBLICATION_EXPIRY_INTERVAL.value(), (int) remaining));
            }
            copyMessageProperties(message, props);
            for (int id : subscriptionIds) {
                props.add(new MqttProperties.IntegerProperty(SUBSCRIPTION_IDENTIFIER.value(), id));
            }
            int alias = 0;
            boolean aliasKnown = false;
            if (outboundAliases != null) {
                alias = outboundAliases.existing(topic);
                aliasKnown = alias > 0;
                if (!aliasKnown) {
                    alias = outboundAliases.free();
                }
                if (alias > 0) {
                    props.add(new MqttProperties.IntegerProperty(TOPIC_ALIAS.value(), alias));
                }
            }
            if (aliasKnown) {
                topic = "";
            }
            if (PacketSize.publish(topic, qos, props, message.payload().length) > clientMaximumPacketSize) {
                broker.metrics().messagesDropped.increment();
                return false;
            }
            // The mapping counts only once a packet carrying it is on its way.
            if (alias > 0 && !aliasKnown) {
                outboundAliases.assign(message.topic(), alias);
            }
        }
        MqttPublishMessage publish = new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, dup, MqttQoS.valueOf(qos), retain, 0),
                new MqttPublishVariableHeader(topic, packetId, props),
                Unpooled.wrappedBuffer(message.payload()));
        broker.metrics().messagesSent.increment();
        write(publish);
        return true;
    }

    @Override
    public void sendPubrel(int packetId) {
        write(pubReply(MqttMessageType.PUBREL, packetId, SUCCESS, null));
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    @Override
    public int sendQuota() {
        return Math.min(clientReceiveMaximum, mqttConfig.limits().maxInflight());
    }

    /** The broker is stopping: 5.0 clients hear why (0x8B) before the socket closes. */
    void shutdown() {
        channel.eventLoop().execute(() -> {
            if (state == State.CONNECTED && v5) {
                sendAndClose(new MqttMessage(fixed(MqttMessageType.DISCONNECT, MqttQoS.AT_MOST_ONCE),
                        new MqttReasonCodeAndPropertiesVariableHeader((byte) SERVER_SHUTTING_DOWN,
                                reasonProperties("server shutting down"))), false);
            } else {
                close();
            }
        });
    }

    @Override
    public void takeOver() {
        takenOver = true;
        channel.eventLoop().execute(() -> disconnect(SESSION_TAKEN_OVER, "another connection took the session over"));
    }

    @Override
    public ScheduledExecutorService executor() {
        return channel.eventLoop();
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public ClientPermissions permissions() {
        return permissions;
    }

    /** Queues a packet; one flush per event-loop turn covers every packet queued meanwhile. */
    private void write(MqttMessage message) {
        outbound.add(message);
        if (drainScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
    }

    private void drainOutbound() {
        // Cleared before polling: a packet queued after the last poll schedules a new drain.
        drainScheduled.set(false);
        MqttMessage next;
        boolean wrote = false;
        while ((next = outbound.poll()) != null) {
            if (channel.isActive()) {
                channel.write(next, channel.voidPromise());
                wrote = true;
            } else {
                ReferenceCountUtil.release(next);
            }
        }
        if (wrote) {
            channel.flush();
        }
    }

    // ---- views for the admin API and plugins --------------------------------------------------------------------

    /** The client as plugins and the admin API see it; fixed once CONNECT was read. */
    ClientInfo clientInfo() {
        if (info == null) {
            java.net.SocketAddress remote = channel.remoteAddress();
            info = new ClientInfo(clientId, java.util.Optional.ofNullable(username), protocolLevel,
                    remote == null ? "" : remote.toString().replaceFirst("^/", ""));
        }
        return info;
    }

    ClientInfo info() {
        return clientInfo();
    }

    /** The registry device this client authenticated as, or null. */
    Long deviceId() {
        return deviceId;
    }

    /** The device's groups changed: later ACL checks use the new ones (the decision cache is keyed by them). */
    void regroup(java.util.Set<String> groups) {
        channel.eventLoop().execute(() -> {
            if (state == State.CONNECTED) {
                identity = new Authorizer.ClientIdentity(identity.clientId(), identity.username(), groups);
                permissions = broker.authorizer().permissions(identity);
                if (session != null) {
                    session.permissionsChanged(this);
                }
            }
        });
    }

    /** What CONNECT asked for, as plugins see it (after the connect interceptors once the session is open). */
    ConnectPacket connectData() {
        return new ConnectPacket(clientInfo(), cleanStart, sessionExpiry, keepAlive,
                java.util.Optional.ofNullable(will).map(PluginHooks::toPacket), willDelay, connectUserProperties,
                java.util.Optional.ofNullable(authMethod));
    }

    /** Closes the connection on behalf of an operator or plugin, telling a 5.0 client why. */
    void disconnectBy(int reasonCode, String reason) {
        channel.eventLoop().execute(() -> disconnect(reasonCode, reason));
    }

    public int protocolLevel() {
        return protocolLevel;
    }

    public String username() {
        return username;
    }

    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    public int keepAlive() {
        return keepAlive;
    }

    public boolean wasTakenOver() {
        return takenOver;
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Message toMessage(String topic, byte[] payload, int qos, boolean retain, MqttProperties props) {
        if (props == null) {
            return new Message(topic, payload, qos, retain, clientId, null, null, null, null, List.of(), -1,
                    System.nanoTime());
        }
        Object expiry = propertyValue(props, PUBLICATION_EXPIRY_INTERVAL);
        List<Map.Entry<String, String>> userProps = userProperties(props);
        return new Message(topic, payload, qos, retain, clientId,
                (Integer) propertyValue(props, PAYLOAD_FORMAT_INDICATOR),
                stringProperty(props, CONTENT_TYPE),
                stringProperty(props, RESPONSE_TOPIC),
                bytesProperty(props, CORRELATION_DATA),
                userProps,
                expiry == null ? -1 : ((Integer) expiry) & 0xFFFFFFFFL,
                System.nanoTime());
    }

    private static List<Map.Entry<String, String>> userProperties(MqttProperties props) {
        if (props == null || props.getProperty(USER_PROPERTY.value()) == null) {
            return List.of();
        }
        List<Map.Entry<String, String>> list = new ArrayList<>();
        for (MqttProperties.MqttProperty<?> p : props.getProperties(USER_PROPERTY.value())) {
            if (p instanceof MqttProperties.UserProperty up) {
                list.add(Map.entry(up.value().key, up.value().value));
            } else if (p instanceof MqttProperties.UserProperties ups) {
                ups.value().forEach(pair -> list.add(Map.entry(pair.key, pair.value)));
            }
        }
        return List.copyOf(list);
    }

    private static void copyMessageProperties(Message m, MqttProperties props) {
        if (m.payloadFormat() != null) {
            props.add(new MqttProperties.IntegerProperty(PAYLOAD_FORMAT_INDICATOR.value(), m.payloadFormat()));
        }
        if (m.contentType() != null) {
            props.add(new MqttProperties.StringProperty(CONTENT_TYPE.value(), m.contentType()));
        }
        if (m.responseTopic() != null) {
            props.add(new MqttProperties.StringProperty(RESPONSE_TOPIC.value(), m.responseTopic()));
        }
        if (m.correlationData() != null) {
            props.add(new MqttProperties.BinaryProperty(CORRELATION_DATA.value(), m.correlationData()));
        }
        for (Map.Entry<String, String> e : m.userProperties()) {
            props.add(new MqttProperties.UserProperty(e.getKey(), e.getValue()));
        }
    }

    private MqttProperties reasonProperties(String reason) {
        if (reason == null || !problemInformation) {
            return MqttProperties.NO_PROPERTIES;
        }
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.StringProperty(REASON_STRING.value(), reason));
        return props;
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static int packetId(MqttMessage m) {
        Object header = m.variableHeader();
        if (header instanceof MqttMessageIdVariableHeader h) {
            return h.messageId();
        }
        return ((MqttPubReplyMessageVariableHeader) header).messageId();
    }

    private static MqttFixedHeader fixed(MqttMessageType type, MqttQoS qos) {
        return new MqttFixedHeader(type, false, qos, false, 0);
    }

    private static Object propertyValue(MqttProperties props, MqttProperties.MqttPropertyType type) {
        MqttProperties.MqttProperty<?> p = props == null ? null : props.getProperty(type.value());
        return p == null ? null : p.value();
    }

    private static int intProperty(MqttProperties props, MqttProperties.MqttPropertyType type, int fallback) {
        Object value = propertyValue(props, type);
        return value == null ? fallback : (Integer) value;
    }

    private static String stringProperty(MqttProperties props, MqttProperties.MqttPropertyType type) {
        return (String) propertyValue(props, type);
    }

    private static byte[] bytesProperty(MqttProperties props, MqttProperties.MqttPropertyType type) {
        return (byte[]) propertyValue(props, type);
    }
}
