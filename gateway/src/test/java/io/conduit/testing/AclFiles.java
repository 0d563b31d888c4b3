package io.conduit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** ACL files of test profiles, each in a temporary folder of its own so that tests can rewrite them. */
public final class AclFiles {

    private AclFiles() {
    }

    /** Writes {@code yaml} to {@code acl.yaml} in a new temporary folder named from {@code prefix}. */
    public static Path write(String prefix, String yaml) {
        try {
            Path file = Files.createTempDirectory(prefix).resolve("acl.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
