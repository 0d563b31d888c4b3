package io.conduit.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What it takes to turn the registry's file devices into those of a newly loaded ACL file, matched by
 * {@link DeviceSpec#fileKey()}. Apply removals, then changes, then additions: a device may take over a client id
 * another one gave up.
 *
 * @param <T> how the registry holds a device (a {@link Device}, an entity)
 */
public record FileDevicesPlan<T>(List<T> removed, Map<T, DeviceSpec> changed, List<DeviceSpec> added) {

    public static <T> FileDevicesPlan<T> of(List<DeviceSpec> specs, Collection<T> current, Function<T, Device> view) {
        Map<String, T> existing = new LinkedHashMap<>();
        for (T t : current) {
            Device d = view.apply(t);
            existing.put(DeviceSpec.fileKey(d.username(), d.clientId()), t);
        }
        Map<T, DeviceSpec> changed = new LinkedHashMap<>();
        List<DeviceSpec> added = new ArrayList<>();
        for (DeviceSpec s : specs) {
            T old = existing.remove(s.fileKey());
            if (old == null) {
                added.add(s);
            } else if (!s.sameAs(view.apply(old))) {
                changed.put(old, s);
            }
        }
        return new FileDevicesPlan<>(List.copyOf(existing.values()), changed, added);
    }
}
