package io.conduit.admin;

import java.util.List;

/**
 * One page of a list the admin API returns: {@code total} items in all, {@code items} from {@code offset}.
 * Bounds: offset >= 0, 1 <= limit <= {@value #MAX_LIMIT}.
 */
public record Page<T>(int total, int offset, int limit, List<T> items) {

    static final int MAX_LIMIT = 1000;

    /** The page of {@code all} (already in its final order); bad bounds are an IllegalArgumentException (400). */
    static <T> Page<T> of(List<T> all, int offset, int limit) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be 0 or more");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
        int from = Math.min(offset, all.size());
        int to = Math.min(all.size(), from + limit);
        return new Page<>(all.size(), offset, limit, List.copyOf(all.subList(from, to)));
    }
}
