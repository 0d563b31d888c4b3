package io.conduit.security;

import io.conduit.testing.ClientCertificates;
import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which name of a client certificate becomes the username. */
class CertificateIdentityTest {

    @Test
    void commonNameAndFirstSubjectAlternativeName() {
        X509Certificate sensor = ClientCertificates.certificate("sensor-7"); // CN=sensor-7, O=Conduit
        assertEquals("sensor-7", CertificateIdentity.CN.username(sensor));
        assertEquals("sensor-7.devices.example", CertificateIdentity.SAN.username(sensor));
        assertNull(CertificateIdentity.NONE.username(sensor));
        X509Certificate watcher = ClientCertificates.certificate("watcher"); // no SAN
        assertEquals("watcher", CertificateIdentity.CN.username(watcher));
        assertNull(CertificateIdentity.SAN.username(watcher));
    }

    @Test
    void parsesTheSetting() {
        assertEquals(CertificateIdentity.SAN, CertificateIdentity.parse(" san "));
        assertEquals(CertificateIdentity.NONE, CertificateIdentity.parse("none"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CertificateIdentity.parse("dn"));
        assertEquals("conduit.security.certificate-identity must be none, cn or san, not dn", e.getMessage());
    }
}
