/**
 * The schema, one entry per version, each applied once in its own transaction and recorded in
 * `schema_version`. Append, never edit or drop: a new column or index is a new entry. `$schema` is replaced by
 * the quoted schema name. Amounts are integer nano-USD (bigint); times are epoch ms (double precision).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE $schema.accounts (
    key text PRIMARY KEY,
    id text NOT NULL,
    spent bigint NOT NULL DEFAULT 0,
    held bigint NOT NULL DEFAULT 0,
    -- the warning thresholds already reported since the last reset
    fired double precision[] NOT NULL DEFAULT '{}'
  );
  CREATE TABLE $schema.scope_ids (
    id text PRIMARY KEY,
    flags jsonb NOT NULL DEFAULT '{}',
    limit_override bigint
  );
  CREATE TABLE $schema.holds (
    hold_id text PRIMARY KEY,
    amount bigint NOT NULL,
    expires_at double precision NOT NULL,
    scopes text NOT NULL, -- JSON ScopeRef[]
    record text NOT NULL -- JSON CallRecord, written if the lease expires
  );
  CREATE INDEX holds_by_expiry ON $schema.holds (expires_at);
  CREATE TABLE $schema.rate_windows (
    key text PRIMARY KEY,
    tat double precision -- null until the window is first used
  );
  CREATE TABLE $schema.registry (
    id text PRIMARY KEY,
    seq bigserial NOT NULL,
    info text NOT NULL, -- JSON ScopeInfo without createdAt
    created_at double precision NOT NULL
  );
  CREATE TABLE $schema.history (
    seq bigserial PRIMARY KEY,
    time double precision NOT NULL,
    status text NOT NULL,
    model text NOT NULL,
    resolved_model text,
    record text NOT NULL -- JSON CallRecord
  );
  CREATE INDEX history_by_time ON $schema.history (time);
  CREATE INDEX history_by_status ON $schema.history (status, seq);
  CREATE INDEX history_by_model ON $schema.history (model, seq);
  CREATE INDEX history_by_resolved_model ON $schema.history (resolved_model, seq);
  CREATE TABLE $schema.history_scopes (
    scope_id text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (scope_id, seq)
  );
  CREATE INDEX history_scopes_by_seq ON $schema.history_scopes (seq);
  `,
];
