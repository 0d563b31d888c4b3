package io.conduit.persistence;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;

/**
 * Keeps Hibernate ORM (the device registry's entities) inactive when no datasource URL is configured: Quarkus then
 * deactivates the datasource, and an active persistence unit without one stops startup. An explicit
 * {@code quarkus.hibernate-orm.active} still wins.
 */
@Priority(Priorities.APPLICATION + 100)
public class OrmActivation implements ConfigSourceInterceptor {

    private static final String ACTIVE = "quarkus.hibernate-orm.active";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (value != null || !ACTIVE.equals(name)) {
            return value;
        }
        ConfigValue url = context.proceed("quarkus.datasource.jdbc.url");
        boolean configured = url != null && url.getValue() != null && !url.getValue().isBlank();
        return ConfigValue.builder().withName(ACTIVE).withValue(String.valueOf(configured))
                .withConfigSourceName("conduit (datasource URL " + (configured ? "set" : "not set") + ")").build();
    }
}
