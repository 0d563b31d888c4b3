package io.conduit.persistence;

import io.conduit.security.AclRuleStore;
import io.conduit.security.AclRules;
import io.conduit.security.AclRules.Action;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/** The admin API's ACL rules in the {@code acl_rule} table, through Panache; every call is one transaction. */
public class PostgresAclRuleStore implements AclRuleStore {

    private final AclRuleRepository repository;

    public PostgresAclRuleStore(AclRuleRepository repository) {
        this.repository = repository;
    }

    @Override
    public List<Stored> list() {
        return QuarkusTransaction.requiringNew().call(() -> ordered().stream().map(PostgresAclRuleStore::toStored)
                .toList());
    }

    @Override
    public Optional<Stored> get(long id) {
        return QuarkusTransaction.requiringNew().call(() -> repository.findByIdOptional(id)
                .map(PostgresAclRuleStore::toStored));
    }

    @Override
    public Stored create(AclRules.Rule rule, String description, Integer position) {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<AclRuleEntity> rows = ordered();
            int at = AclRuleStore.index(position, rows.size() + 1);
            AclRuleEntity e = new AclRuleEntity();
            fill(e, rule, description);
            e.createdAt = e.updatedAt;
            e.source = "api";
            e.position = rows.size() + 1;
            repository.persist(e);
            rows.add(at, e);
            renumber(rows);
            return toStored(e);
        });
    }

    @Override
    public Stored update(long id, AclRules.Rule rule, String description, Integer position) {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<AclRuleEntity> rows = ordered();
            AclRuleEntity e = rows.stream().filter(r -> r.id == id).findFirst()
                    .orElseThrow(() -> new NoSuchElementException("no ACL rule " + id));
            int to = position == null ? rows.indexOf(e) : AclRuleStore.index(position, rows.size());
            if (rule != null) {
                fill(e, rule, description);
            } else {
                e.updatedAt = Instant.now();
            }
            rows.remove(e);
            rows.add(to, e);
            renumber(rows);
            return toStored(e);
        });
    }

    @Override
    public boolean delete(long id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            List<AclRuleEntity> rows = ordered();
            boolean removed = rows.removeIf(r -> r.id == id);
            if (removed) {
                repository.deleteById(id);
                renumber(rows);
            }
            return removed;
        });
    }

    /** Every row, locked: concurrent changes of the order take turns. */
    private List<AclRuleEntity> ordered() {
        return new ArrayList<>(repository.findAll(Sort.by("position"))
                .withLock(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE).list());
    }

    private static void renumber(List<AclRuleEntity> rows) {
        for (int i = 0; i < rows.size(); i++) {
            rows.get(i).position = i + 1;
        }
    }

    private static void fill(AclRuleEntity e, AclRules.Rule rule, String description) {
        e.effect = rule.allow() ? "allow" : "deny";
        e.actions = rule.actions().stream().map(Action::id).toArray(String[]::new);
        e.topic = rule.topic();
        e.targets = rule.to().toArray(String[]::new);
        e.maxQos = rule.maxQos();
        e.description = description;
        e.updatedAt = Instant.now();
    }

    private static Stored toStored(AclRuleEntity e) {
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (String a : e.actions) {
            actions.add(Action.parse(a).orElseThrow(() -> new IllegalStateException("acl_rule " + e.id
                    + " has an unknown action '" + a + "'")));
        }
        AclRules.Rule rule = new AclRules.Rule(0, e.effect.equals("allow"), Collections.unmodifiableSet(actions),
                e.topic, List.copyOf(Arrays.asList(e.targets)), e.maxQos, e.id);
        return new Stored(e.id, e.position, rule, e.description, e.createdAt, e.updatedAt);
    }
}
