package io.conduit.security;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/** API ACL rules of a broker without a database: lost on restart, like its sessions. */
public class InMemoryAclRuleStore implements AclRuleStore {

    /** In position order; a Stored's position is its index + 1, set when read. */
    private final List<Stored> rules = new ArrayList<>();
    private long lastId;

    @Override
    public synchronized List<Stored> list() {
        List<Stored> out = new ArrayList<>(rules.size());
        for (int i = 0; i < rules.size(); i++) {
            Stored s = rules.get(i);
            out.add(new Stored(s.id(), i + 1, s.rule(), s.description(), s.createdAt(), s.updatedAt()));
        }
        return out;
    }

    @Override
    public synchronized Optional<Stored> get(long id) {
        return list().stream().filter(s -> s.id() == id).findFirst();
    }

    @Override
    public synchronized Stored create(AclRules.Rule rule, String description, Integer position) {
        int at = AclRuleStore.index(position, rules.size() + 1);
        long id = ++lastId;
        Instant now = Instant.now();
        rules.add(at, new Stored(id, 0, rule.withId(id), description, now, now));
        return get(id).orElseThrow();
    }

    @Override
    public synchronized Stored update(long id, AclRules.Rule rule, String description, Integer position) {
        int from = indexOf(id);
        int to = position == null ? from : AclRuleStore.index(position, rules.size());
        Stored old = rules.remove(from);
        Stored changed = rule == null ? new Stored(id, 0, old.rule(), old.description(), old.createdAt(), Instant.now())
                : new Stored(id, 0, rule.withId(id), description, old.createdAt(), Instant.now());
        rules.add(to, changed);
        return get(id).orElseThrow();
    }

    @Override
    public synchronized boolean delete(long id) {
        return rules.removeIf(s -> s.id() == id);
    }

    private int indexOf(long id) {
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).id() == id) {
                return i;
            }
        }
        throw new NoSuchElementException("no ACL rule " + id);
    }
}
