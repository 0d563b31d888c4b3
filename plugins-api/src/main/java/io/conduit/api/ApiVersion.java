package io.conduit.api;

/**
 * The version of this SDK. A plugin built against a.b runs on hosts whose SDK is a.c with c &gt;= b. The jar's
 * manifest carries the full semantic version as {@code Conduit-Plugin-API-Version}.
 */
public final class ApiVersion {

    /** Changes when a plugin built against an older SDK may no longer run. */
    public static final int MAJOR = 1;
    /** Changes when hooks or services are added. 1.1: outbound, subscribe, unsubscribe and connect interceptors,
     * session listeners, enhanced authenticators, the subscriptions service, {@code @NonBlocking}. */
    public static final int MINOR = 1;
    /** {@code MAJOR.MINOR}. */
    public static final String CURRENT = MAJOR + "." + MINOR;

    private ApiVersion() {
    }

    /**
     * Whether a plugin that asks for {@code required} can run on this SDK.
     *
     * @param required the {@code api-version} of a plugin descriptor, major.minor
     * @return true when the major version is the same and the minor version not newer
     */
    public static boolean supports(String required) {
        String[] parts = required.trim().split("\\.");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major == MAJOR && minor <= MINOR;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
