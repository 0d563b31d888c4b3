-- Local accounts of the admin API (HTTP Basic), used when no Keycloak is configured. Only bcrypt hashes are stored.
CREATE TABLE admin_users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('conduit-admin', 'conduit-viewer')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
