package io.conduit.routing;

/** Validation and matching of topic names and filters (MQTT 5.0 section 4.7, same rules for 3.1.1). */
public final class Topics {

    public static final String SHARE_PREFIX = "$share/";

    private Topics() {
    }

    /** A name a PUBLISH may carry: non-empty, no wildcards, no NUL, at most {@code maxLevels} levels. */
    public static boolean isValidName(String topic, int maxLevels) {
        if (topic == null || topic.isEmpty()) {
            return false;
        }
        int levels = 1;
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            if (c == '+' || c == '#' || c == '\u0000') {
                return false;
            }
            if (c == '/' && ++levels > maxLevels) {
                return false;
            }
        }
        return utf8Length(topic) <= 65535;
    }

    /** A filter a SUBSCRIBE may carry (without the {@code $share/group/} prefix). */
    public static boolean isValidFilter(String filter, int maxLevels) {
        if (filter == null || filter.isEmpty() || utf8Length(filter) > 65535) {
            return false;
        }
        int levels = 1;
        int levelStart = 0;
        for (int i = 0; i < filter.length(); i++) {
            char c = filter.charAt(i);
            if (c == '\u0000') {
                return false;
            }
            if (c == '/') {
                if (++levels > maxLevels) {
                    return false;
                }
                levelStart = i + 1;
            } else if (c == '+') {
                boolean alone = i == levelStart && (i + 1 == filter.length() || filter.charAt(i + 1) == '/');
                if (!alone) {
                    return false;
                }
            } else if (c == '#') {
                if (i != levelStart || i + 1 != filter.length()) {
                    return false;
                }
            }
        }
        return true;
    }

    public static boolean isShared(String filter) {
        return filter.startsWith(SHARE_PREFIX);
    }

    /**
     * Splits {@code $share/group/filter}; returns {@code null} when the group is empty or holds a wildcard, or the
     * filter part is missing.
     */
    public static SharedFilter parseShared(String filter) {
        int groupEnd = filter.indexOf('/', SHARE_PREFIX.length());
        if (groupEnd <= SHARE_PREFIX.length() || groupEnd == filter.length() - 1) {
            return null;
        }
        String group = filter.substring(SHARE_PREFIX.length(), groupEnd);
        if (group.indexOf('+') >= 0 || group.indexOf('#') >= 0) {
            return null;
        }
        return new SharedFilter(group, filter.substring(groupEnd + 1));
    }

    public record SharedFilter(String group, String filter) {
    }

    public static boolean hasWildcard(String filter) {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    /** Splits on '/', keeping empty levels ("/a/" is three levels: "", "a", ""). */
    public static String[] levels(String topic) {
        int count = 1;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '/') {
                count++;
            }
        }
        String[] out = new String[count];
        int start = 0;
        int n = 0;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '/') {
                out[n++] = topic.substring(start, i);
                start = i + 1;
            }
        }
        out[n] = topic.substring(start);
        return out;
    }

    /** Whether a single filter matches a topic name; used where building a tree is not worth it. */
    public static boolean matches(String filter, String topic) {
        if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
            return false;
        }
        String[] f = levels(filter);
        String[] t = levels(topic);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true;
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }

    static int utf8Length(String s) {
        int len = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                len++;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isHighSurrogate(c)) {
                len += 4;
                i++;
            } else {
                len += 3;
            }
        }
        return len;
    }
}
