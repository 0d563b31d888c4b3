package io.conduit.mqtt;

import io.conduit.config.ConduitConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT listeners: TCP, TLS, WebSocket and secure WebSocket. They run on Quarkus's own Vert.x event loops, so
 * MQTT, HTTP and the admin API share one set of I/O threads sized to the machine.
 */
@ApplicationScoped
public class MqttServer {

    private static final Logger LOG = Logger.getLogger(MqttServer.class);

    @Inject
    Vertx vertx;

    @Inject
    Broker broker;

    @Inject
    ConduitConfig config;

    private final ChannelGroup clients = new DefaultChannelGroup("mqtt-clients", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private int tcpPort = -1;
    private int tlsPort = -1;
    private int wsPort = -1;
    private int wssPort = -1;

    void start(@Observes @Priority(10) StartupEvent event) throws Exception {
        ConduitConfig.Mqtt mqtt = config.mqtt();
        SslContext ssl = TlsContexts.fromConfig(mqtt.tls());
        tcpPort = bind("mqtt", mqtt.port(), false, null);
        wsPort = bind("mqtt-ws", mqtt.wsPort(), true, null);
        if (ssl != null) {
            tlsPort = bind("mqtts", mqtt.tlsPort(), false, ssl);
            wssPort = bind("mqtt-wss", mqtt.wssPort(), true, ssl);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        for (Channel client : clients) {
            MqttConnection connection = client.pipeline().get(MqttConnection.class);
            if (connection != null) {
                connection.shutdown();
            }
        }
        clients.newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private int bind(String name, int port, boolean webSocket, SslContext ssl) throws InterruptedException {
        if (port < 0) {
            return -1;
        }
        VertxInternal vx = (VertxInternal) vertx;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(vx.getAcceptorEventLoopGroup(), vx.getEventLoopGroup())
                .channelFactory(vx.transport().serverChannelFactory(false))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        clients.add(ch);
                        initPipeline(ch.pipeline(), webSocket, ssl);
                    }
                });
        Channel channel = bootstrap.bind(config.mqtt().host(), port).sync().channel();
        listeners.add(channel);
        int bound = ((InetSocketAddress) channel.localAddress()).getPort();
        LOG.infof("MQTT listener %s on %s:%d%s", name, config.mqtt().host(), bound,
                webSocket ? " path " + config.mqtt().wsPath() : "");
        return bound;
    }

    private void initPipeline(ChannelPipeline pipeline, boolean webSocket, SslContext ssl) {
        ConduitConfig.Limits limits = config.mqtt().limits();
        if (ssl != null) {
            pipeline.addLast("ssl", ssl.newHandler(pipeline.channel().alloc()));
        }
        if (webSocket) {
            pipeline.addLast("http", new HttpServerCodec());
            pipeline.addLast("http-aggregator", new HttpObjectAggregator(65536));
            pipeline.addLast("ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath(config.mqtt().wsPath())
                    .subprotocols("mqtt,mqttv3.1,mqttv3.1.1,mqttv5.0")
                    .maxFramePayloadLength(limits.maxPacketSize() + 8)
                    .build()));
            pipeline.addLast("not-ws", new NotWebSocketResponder(config.mqtt().wsPath()));
            pipeline.addLast("ws-frames", WebSocketFrameCodec.INSTANCE);
        }
        pipeline.addLast("bytes", new ByteCounter(broker.metrics()));
        pipeline.addLast(MqttConnection.IDLE_HANDLER,
                new IdleStateHandler(config.mqtt().connectTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        pipeline.addLast("framer", new MqttFrameDecoder(limits.maxPacketSize()));
        pipeline.addLast("decoder", new MqttDecoder(limits.maxPacketSize(), limits.maxClientIdLength()));
        pipeline.addLast("encoder", MqttEncoder.INSTANCE);
        pipeline.addLast("mqtt", new MqttConnection(broker));
    }

    public int tcpPort() {
        return tcpPort;
    }

    public int tlsPort() {
        return tlsPort;
    }

    public int wsPort() {
        return wsPort;
    }

    public int wssPort() {
        return wssPort;
    }
}
