package io.conduit.api;

/** The version of this SDK. A plugin built against a.b runs on hosts whose SDK is a.c with c >= b. */
public final class ApiVersion {

    public static final int MAJOR = 1;
    public static final int MINOR = 0;
    public static final String CURRENT = MAJOR + "." + MINOR;

    private ApiVersion() {
    }

    /** Whether a plugin that asks for {@code required} (major.minor) can run on this SDK. */
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
