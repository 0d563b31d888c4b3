package io.conduit.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.List;
import java.util.Map;

/**
 * Hibernate ORM follows the datasource: active when a JDBC URL is configured, inactive otherwise (the broker then
 * keeps its state in memory and must start without a database). An explicit {@code quarkus.hibernate-orm.active}
 * wins: this source has a low ordinal.
 */
public class OrmActivation implements ConfigSourceFactory {

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue url = context.getValue("quarkus.datasource.jdbc.url");
        boolean active = url != null && url.getValue() != null && !url.getValue().isBlank();
        return List.of(new MapBackedConfigSource("conduit-orm-activation",
                Map.of("quarkus.hibernate-orm.active", String.valueOf(active)), 50) {
        });
    }
}
