package io.conduit.persistence;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;

/** Panache queries over {@link AclRuleEntity}; callers bring the transaction. */
@ApplicationScoped
public class AclRuleRepository implements PanacheRepository<AclRuleEntity> {
}
