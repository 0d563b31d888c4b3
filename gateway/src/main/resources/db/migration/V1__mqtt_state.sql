-- Durable MQTT state: persistent sessions, their subscriptions and message queues, and retained messages.
-- Message properties are columns rather than an opaque blob so that operators can query them.

CREATE TABLE mqtt_session (
    client_id        text        PRIMARY KEY,
    expiry_interval  bigint      NOT NULL,
    protocol_level   smallint    NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- NULL while a connection is attached; a crash leaves it NULL and recovery treats the session as just closed.
    disconnected_at  timestamptz,
    next_seq         bigint      NOT NULL DEFAULT 1,
    will_topic       text,
    will_payload     bytea,
    will_qos         smallint,
    will_retain      boolean,
    will_delay       bigint,
    will_payload_format smallint,
    will_content_type text,
    will_response_topic text,
    will_correlation_data bytea,
    will_user_properties text[],
    will_expiry_interval bigint
);

CREATE TABLE mqtt_subscription (
    client_id         text     NOT NULL REFERENCES mqtt_session (client_id) ON DELETE CASCADE,
    topic_key         text     NOT NULL,  -- the filter as subscribed, with any $share/group/ prefix
    topic_filter      text     NOT NULL,
    share_group       text,
    qos               smallint NOT NULL,
    no_local          boolean  NOT NULL,
    retain_as_published boolean NOT NULL,
    retain_handling   smallint NOT NULL,
    subscription_id   integer  NOT NULL,
    PRIMARY KEY (client_id, topic_key)
);

-- Outgoing QoS 1/2 messages of persistent sessions: queued (packet_id NULL) or in flight (packet_id set;
-- released once PUBREC came back). Rows leave on PUBACK / PUBCOMP.
CREATE TABLE mqtt_queued_message (
    client_id        text     NOT NULL REFERENCES mqtt_session (client_id) ON DELETE CASCADE,
    seq              bigint   NOT NULL,
    topic            text     NOT NULL,
    payload          bytea    NOT NULL,
    qos              smallint NOT NULL,
    retain           boolean  NOT NULL,
    subscription_ids integer[] NOT NULL,
    publisher_id     text,
    payload_format   smallint,
    content_type     text,
    response_topic   text,
    correlation_data bytea,
    user_properties  text[],   -- key, value, key, value ...
    expiry_interval  bigint,   -- seconds, counted from stored_at; NULL never expires
    stored_at        timestamptz NOT NULL DEFAULT now(),
    packet_id        integer,
    released         boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (client_id, seq)
);

-- Incoming QoS 2 packet ids routed but not yet released by PUBREL: exactly-once across restarts.
CREATE TABLE mqtt_inbound_qos2 (
    client_id  text    NOT NULL REFERENCES mqtt_session (client_id) ON DELETE CASCADE,
    packet_id  integer NOT NULL,
    PRIMARY KEY (client_id, packet_id)
);

CREATE TABLE mqtt_retained_message (
    topic            text     PRIMARY KEY,
    payload          bytea    NOT NULL,
    qos              smallint NOT NULL,
    publisher_id     text,
    payload_format   smallint,
    content_type     text,
    response_topic   text,
    correlation_data bytea,
    user_properties  text[],
    expiry_interval  bigint,
    stored_at        timestamptz NOT NULL DEFAULT now()
);
