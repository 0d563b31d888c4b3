package io.conduit.persistence;

import io.conduit.routing.Message;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The columns a stored message shares between tables (topic, payload, qos, publisher and 5.0 properties), in the
 * order {@link #NAMES} lists them. Expiry is stored as the remaining interval plus the time it was stored, so that
 * the clock keeps running across restarts.
 */
final class MessageColumns {

    static final String NAMES = "topic, payload, qos, publisher_id, payload_format, content_type, response_topic, "
            + "correlation_data, user_properties, expiry_interval, stored_at";
    static final String PLACEHOLDERS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
    static final int COUNT = 11;

    private MessageColumns() {
    }

    /** Binds the columns starting at parameter {@code first}; returns the next free parameter index. */
    static int bind(PreparedStatement ps, int first, Message m, int qos) throws SQLException {
        int i = first;
        long now = System.nanoTime();
        ps.setString(i++, m.topic());
        ps.setBytes(i++, m.payload());
        ps.setShort(i++, (short) qos);
        ps.setString(i++, m.publisherId());
        if (m.payloadFormat() == null) {
            ps.setNull(i++, Types.SMALLINT);
        } else {
            ps.setShort(i++, m.payloadFormat().shortValue());
        }
        ps.setString(i++, m.contentType());
        ps.setString(i++, m.responseTopic());
        ps.setBytes(i++, m.correlationData());
        ps.setArray(i++, userProperties(ps.getConnection(), m.userProperties()));
        if (m.expires()) {
            ps.setLong(i++, Math.max(0, m.remainingExpiry(now)));
        } else {
            ps.setNull(i++, Types.BIGINT);
        }
        ps.setTimestamp(i++, new Timestamp(System.currentTimeMillis()));
        return i;
    }

    /** Reads a message stored by {@link #bind}, with the given retain flag. */
    static Message read(ResultSet rs, boolean retain) throws SQLException {
        long expiry = rs.getLong("expiry_interval");
        boolean expires = !rs.wasNull();
        Timestamp storedAt = rs.getTimestamp("stored_at");
        short format = rs.getShort("payload_format");
        Short payloadFormat = rs.wasNull() ? null : format;
        Array props = rs.getArray("user_properties");
        return message(rs.getString("topic"), rs.getBytes("payload"), rs.getShort("qos"), retain,
                rs.getString("publisher_id"), payloadFormat, rs.getString("content_type"),
                rs.getString("response_topic"), rs.getBytes("correlation_data"),
                props == null ? null : (String[]) props.getArray(), expires ? expiry : null,
                storedAt == null ? null : storedAt.toInstant());
    }

    /** A message from its stored columns (of a row or an entity); {@code expiry} null never expires. */
    static Message message(String topic, byte[] payload, int qos, boolean retain, String publisherId,
                           Short payloadFormat, String contentType, String responseTopic, byte[] correlationData,
                           String[] userProperties, Long expiry, Instant storedAt) {
        long created = System.nanoTime();
        if (expiry != null && storedAt != null) {
            // Place the creation time in this JVM's nanoTime so that the remaining expiry keeps counting down.
            long ageMillis = Math.max(0, System.currentTimeMillis() - storedAt.toEpochMilli());
            created -= ageMillis * 1_000_000L;
        }
        return new Message(topic, payload, qos, retain, publisherId,
                payloadFormat == null ? null : (int) payloadFormat, contentType, responseTopic, correlationData,
                userProperties(userProperties), expiry == null ? -1 : expiry, created);
    }

    static Array userProperties(Connection c, List<Map.Entry<String, String>> props) throws SQLException {
        if (props.isEmpty()) {
            return null;
        }
        String[] flat = new String[props.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : props) {
            flat[i++] = e.getKey();
            flat[i++] = e.getValue();
        }
        return c.createArrayOf("text", flat);
    }

    static List<Map.Entry<String, String>> userProperties(Array array) throws SQLException {
        return userProperties(array == null ? null : (String[]) array.getArray());
    }

    static List<Map.Entry<String, String>> userProperties(String[] flat) {
        if (flat == null) {
            return List.of();
        }
        List<Map.Entry<String, String>> out = new ArrayList<>(flat.length / 2);
        for (int i = 0; i + 1 < flat.length; i += 2) {
            out.add(Map.entry(flat[i], flat[i + 1]));
        }
        return List.copyOf(out);
    }
}
