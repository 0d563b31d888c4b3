package io.conduit.testing;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain JDBC against the test PostgreSQL, to look at what the broker wrote without going through the code under
 * test. Each call opens its own connection: the server may have been restarted in between.
 */
public final class Sql {

    private Sql() {
    }

    /** Every row of a query, as column name to value; SQL arrays become Java arrays. */
    public static List<Map<String, Object>> rows(String sql, Object... args) {
        try (Connection c = DriverManager.getConnection(EmbeddedPostgres.get().jdbcUrl(), EmbeddedPostgres.USER, "");
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                List<Map<String, Object>> out = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        Object value = rs.getObject(i);
                        row.put(md.getColumnLabel(i), value instanceof Array a ? a.getArray() : value);
                    }
                    out.add(row);
                }
                return out;
            }
        } catch (SQLException e) {
            throw new AssertionError("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    /** The one row of a query; fails when there is not exactly one. */
    public static Map<String, Object> row(String sql, Object... args) {
        List<Map<String, Object>> rows = rows(sql, args);
        if (rows.size() != 1) {
            throw new AssertionError("expected one row from " + sql + " but got " + rows);
        }
        return rows.get(0);
    }

    /** The number a {@code SELECT count(*) ...} returns. */
    public static long count(String sql, Object... args) {
        return ((Number) row(sql, args).values().iterator().next()).longValue();
    }
}
