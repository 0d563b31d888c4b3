package io.conduit.security;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the ACL rules made through the admin API are kept: PostgreSQL when the broker has a database, memory
 * otherwise (chosen by {@code persistence/StoreProducers}). Positions run from 1 without gaps; they order the API
 * rules, which all come after the ACL file's. Every method may block: call it off the event loop.
 */
public interface AclRuleStore {

    /** A stored rule; {@code rule.id()} is {@code id}. */
    record Stored(long id, int position, AclRules.Rule rule, String description, Instant createdAt,
                  Instant updatedAt) {
    }

    /** Every rule, by position. */
    List<Stored> list();

    Optional<Stored> get(long id);

    /**
     * @param position where the rule goes (1 to size + 1; the rules from there on move down), or null for last
     * @throws IllegalArgumentException when the position is out of range
     */
    Stored create(AclRules.Rule rule, String description, Integer position);

    /**
     * Replaces a rule's content ({@code rule} null: keeps it, with its description) and/or moves it.
     *
     * @param position where the rule goes (1 to size), or null to stay
     * @throws java.util.NoSuchElementException when there is no such rule
     * @throws IllegalArgumentException when the position is out of range
     */
    Stored update(long id, AclRules.Rule rule, String description, Integer position);

    boolean delete(long id);

    /** The 0-based index a rule is put at among {@code size} others, for create (size + 1 places) and move. */
    static int index(Integer position, int places) {
        if (position == null) {
            return places - 1;
        }
        if (position < 1 || position > places) {
            throw new IllegalArgumentException("position must be from 1 to " + places + ", not " + position);
        }
        return position - 1;
    }
}
