package io.conduit.security;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Which part of a verified client certificate stands for the client's username. */
public enum CertificateIdentity {

    /** The certificate only proves the connection is trusted; the username comes from CONNECT. */
    NONE,
    /** The subject's common name (the most specific CN when there are several). */
    CN,
    /** The first subject alternative name of type DNS, e-mail (rfc822) or URI, in certificate order. */
    SAN;

    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;

    public static CertificateIdentity parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("conduit.security.certificate-identity must be none, cn or san, not "
                    + value);
        }
    }

    /** The username {@code certificate} stands for, or null when it has no such field (or for {@link #NONE}). */
    public String username(X509Certificate certificate) {
        return switch (this) {
            case NONE -> null;
            case CN -> commonName(certificate.getSubjectX500Principal());
            case SAN -> subjectAltName(certificate);
        };
    }

    private static String commonName(X500Principal subject) {
        try {
            List<Rdn> rdns = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
            // LdapName lists the RDNs from the least specific (rightmost in RFC 2253) to the most specific.
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return rdns.get(i).getValue().toString();
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    private static String subjectAltName(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return null;
            }
            for (List<?> name : names) {
                int type = (Integer) name.get(0);
                if ((type == SAN_EMAIL || type == SAN_DNS || type == SAN_URI) && name.get(1) instanceof String s) {
                    return s;
                }
            }
            return null;
        } catch (CertificateParsingException e) {
            return null;
        }
    }
}
