/**
 * The schema and its transition functions, one entry per version, each applied once in its own transaction and recorded in
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

  -- The transitions, one function call (one statement) each; the lock order is described in index.ts.
  CREATE FUNCTION $schema.append_record(p_record text, p_history_limit bigint) RETURNS void
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_record jsonb := p_record::jsonb;
    v_seq bigint;
  BEGIN
    INSERT INTO $schema.history (time, status, model, resolved_model, record)
    VALUES ((v_record->>'time')::double precision, v_record->>'status', v_record->>'model',
            v_record->>'resolvedModel', p_record)
    RETURNING seq INTO v_seq;
    INSERT INTO $schema.history_scopes (scope_id, seq)
    SELECT DISTINCT e, v_seq FROM jsonb_array_elements_text(coalesce(v_record->'scopeIds', '[]')) AS e
    ON CONFLICT DO NOTHING;
    -- Trimming never waits: rows another transaction is trimming are left to it.
    IF p_history_limit IS NOT NULL AND v_seq > p_history_limit THEN
      DELETE FROM $schema.history WHERE seq IN (
        SELECT seq FROM $schema.history WHERE seq <= v_seq - p_history_limit FOR UPDATE SKIP LOCKED);
      DELETE FROM $schema.history_scopes WHERE (scope_id, seq) IN (
        SELECT scope_id, seq FROM $schema.history_scopes WHERE seq <= v_seq - p_history_limit
        FOR UPDATE SKIP LOCKED);
    END IF;
  END $fn$;

  CREATE FUNCTION $schema.balances(p_scopes jsonb) RETURNS jsonb
  LANGUAGE sql STABLE AS $fn$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
        'key', x.e->>'key', 'id', x.e->>'id',
        'limit', coalesce(i.limit_override, (x.e->>'limit')::bigint),
        'spent', coalesce(a.spent, 0), 'held', coalesce(a.held, 0),
        'flags', coalesce(i.flags, '{}')) ORDER BY x.o), '[]')
    FROM jsonb_array_elements(p_scopes) WITH ORDINALITY AS x(e, o)
    LEFT JOIN $schema.accounts a ON a.key = x.e->>'key'
    LEFT JOIN $schema.scope_ids i ON i.id = x.e->>'id'
  $fn$;

  -- Settles the holds whose lease ended (skipping any another transaction has locked) at their full amount,
  -- after locking, in key order, the accounts they and p_scopes touch (creating those never used).
  CREATE FUNCTION $schema.sweep_and_lock(p_now double precision, p_scopes jsonb, p_history_limit bigint)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    v_swept jsonb;
    v_hold jsonb;
    v_count bigint;
  BEGIN
    WITH gone AS (
      DELETE FROM $schema.holds WHERE hold_id IN (
        SELECT hold_id FROM $schema.holds WHERE expires_at <= p_now ORDER BY expires_at FOR UPDATE SKIP LOCKED)
      RETURNING amount, scopes, record)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
      'amount', gone.amount, 'scopes', gone.scopes::jsonb, 'record', gone.record)), '[]')
    INTO v_swept FROM gone;
    INSERT INTO $schema.accounts (key, id)
    SELECT DISTINCT ON (k.key) k.key, k.id FROM (
      SELECT e->>'key' AS key, e->>'id' AS id FROM jsonb_array_elements(p_scopes) AS e
      UNION ALL
      SELECT e->>'key', e->>'id' FROM jsonb_array_elements(v_swept) AS h, jsonb_array_elements(h->'scopes') AS e
    ) AS k ORDER BY k.key ON CONFLICT (key) DO NOTHING;
    SELECT count(*) INTO v_count FROM (
      SELECT 1 FROM $schema.accounts WHERE key IN (
        SELECT e->>'key' FROM jsonb_array_elements(p_scopes) AS e
        UNION
        SELECT e->>'key' FROM jsonb_array_elements(v_swept) AS h, jsonb_array_elements(h->'scopes') AS e)
      ORDER BY key FOR UPDATE) AS locked;
    FOR v_hold IN SELECT h FROM jsonb_array_elements(v_swept) AS h LOOP
      UPDATE $schema.accounts
      SET held = held - (v_hold->>'amount')::bigint,
        spent = LEAST(spent + (v_hold->>'amount')::bigint, 9007199254740991)
      WHERE key IN (SELECT e->>'key' FROM jsonb_array_elements(v_hold->'scopes') AS e);
      PERFORM $schema.append_record(v_hold->>'record', p_history_limit);
    END LOOP;
  END $fn$;

  CREATE FUNCTION $schema.refusal(p jsonb, p_reason text, p_by text, p_retry double precision) RETURNS jsonb
  LANGUAGE sql STABLE AS $fn$
    SELECT jsonb_build_object('ok', false, 'reason', p_reason, 'refusedBy', p_by,
      'balances', $schema.balances(p->'scopes')) || CASE WHEN p_retry IS NULL THEN '{}'::jsonb
      ELSE jsonb_build_object('retryAfterMs', p_retry) END
  $fn$;

  CREATE FUNCTION $schema.reserve_hold(p jsonb) RETURNS jsonb
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_amount bigint := (p->>'amount')::bigint;
    v_now double precision := (p->>'now')::double precision;
    v_scope record;
    v_charge record;
    v_flags jsonb;
    v_override bigint;
    v_used bigint;
    v_tats jsonb;
    v_next double precision;
    v_count bigint;
  BEGIN
    PERFORM $schema.sweep_and_lock(v_now, p->'scopes', (p->>'historyLimit')::bigint);
    IF NOT coalesce((p->>'force')::boolean, false) THEN
      FOR v_scope IN SELECT x.e->>'id' AS id FROM jsonb_array_elements(p->'scopes') WITH ORDINALITY AS x(e, o)
                     ORDER BY x.o LOOP
        SELECT flags INTO v_flags FROM $schema.scope_ids WHERE id = v_scope.id;
        IF coalesce((v_flags->>'panic')::boolean, false) THEN
          RETURN $schema.refusal(p, 'panic', v_scope.id, NULL);
        END IF;
        IF coalesce((v_flags->>'locked')::boolean, false) THEN
          RETURN $schema.refusal(p, 'locked', v_scope.id, NULL);
        END IF;
      END LOOP;
      FOR v_scope IN SELECT x.e->>'id' AS id, x.e->>'key' AS key, (x.e->>'limit')::bigint AS lim
                     FROM jsonb_array_elements(p->'scopes') WITH ORDINALITY AS x(e, o) ORDER BY x.o LOOP
        SELECT spent + held INTO v_used FROM $schema.accounts WHERE key = v_scope.key;
        v_override := (SELECT limit_override FROM $schema.scope_ids WHERE id = v_scope.id);
        IF v_used + v_amount > coalesce(v_override, v_scope.lim) THEN
          RETURN $schema.refusal(p, 'budget', v_scope.id, NULL);
        END IF;
      END LOOP;
      IF jsonb_array_length(coalesce(p->'limits', '[]')) > 0 THEN
        INSERT INTO $schema.rate_windows (key)
        SELECT DISTINCT e->>'key' FROM jsonb_array_elements(p->'limits') AS e ORDER BY 1 ON CONFLICT DO NOTHING;
        SELECT count(*) INTO v_count FROM (
          SELECT 1 FROM $schema.rate_windows
          WHERE key IN (SELECT e->>'key' FROM jsonb_array_elements(p->'limits') AS e)
          ORDER BY key FOR UPDATE) AS locked;
        SELECT coalesce(jsonb_object_agg(key, tat), '{}') INTO v_tats FROM $schema.rate_windows
        WHERE key IN (SELECT e->>'key' FROM jsonb_array_elements(p->'limits') AS e);
        -- GCRA, as rate-window.ts: the same two lines, in the same floating-point order.
        FOR v_charge IN SELECT x.e->>'key' AS key, (x.e->>'capacity')::double precision AS capacity,
                               (x.e->>'periodMs')::double precision AS period,
                               (x.e->>'amount')::double precision AS amount
                        FROM jsonb_array_elements(p->'limits') WITH ORDINALITY AS x(e, o) ORDER BY x.o LOOP
          v_next := greatest(coalesce((v_tats->>v_charge.key)::double precision, v_now), v_now)
                    + v_charge.amount * v_charge.period / v_charge.capacity;
          IF v_next - v_now > v_charge.period THEN
            RETURN $schema.refusal(p, 'rate_limit', v_charge.key, ceil(v_next - v_now - v_charge.period));
          END IF;
          v_tats := jsonb_set(v_tats, ARRAY[v_charge.key], to_jsonb(v_next));
        END LOOP;
        UPDATE $schema.rate_windows SET tat = (v_tats->>key)::double precision
        WHERE key IN (SELECT jsonb_object_keys(v_tats));
      END IF;
    END IF;
    INSERT INTO $schema.holds (hold_id, amount, expires_at, scopes, record)
    VALUES (p->>'holdId', v_amount, (p->>'expiresAt')::double precision, (p->'scopes')::text, p->>'expired');
    UPDATE $schema.accounts SET held = held + v_amount
    WHERE key IN (SELECT e->>'key' FROM jsonb_array_elements(p->'scopes') AS e);
    RETURN jsonb_build_object('ok', true, 'balances', $schema.balances(p->'scopes'));
  END $fn$;

  CREATE FUNCTION $schema.settle_hold(p jsonb) RETURNS jsonb
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_now double precision := (p->>'now')::double precision;
    v_actual bigint := (p->>'actual')::bigint;
    v_limit_history bigint := (p->>'historyLimit')::bigint;
    v_amount bigint;
    v_scopes jsonb;
    v_scope record;
    v_refund record;
    v_spent bigint;
    v_fired double precision[];
    v_before double precision[];
    v_limit bigint;
    v_threshold double precision;
    v_warnings jsonb := '[]';
    v_count bigint;
  BEGIN
    -- Its own hold first: the only lock a settle may wait for while it holds none.
    DELETE FROM $schema.holds WHERE hold_id = p->>'holdId' RETURNING amount, scopes::jsonb INTO v_amount, v_scopes;
    IF v_amount IS NULL THEN
      PERFORM $schema.sweep_and_lock(v_now, '[]', v_limit_history);
      RETURN jsonb_build_object('settled', false, 'held', 0, 'balances', '[]'::jsonb, 'warnings', '[]'::jsonb);
    END IF;
    PERFORM $schema.sweep_and_lock(v_now, v_scopes, v_limit_history);
    FOR v_scope IN SELECT x.e->>'id' AS id, x.e->>'key' AS key, (x.e->>'limit')::bigint AS lim,
                          coalesce(x.e->'thresholds', '[]') AS thresholds
                   FROM jsonb_array_elements(v_scopes) WITH ORDINALITY AS x(e, o) ORDER BY x.o LOOP
      UPDATE $schema.accounts SET held = held - v_amount, spent = LEAST(spent + v_actual, 9007199254740991)
        WHERE key = v_scope.key
      RETURNING spent, fired INTO v_spent, v_fired;
      v_limit := coalesce((SELECT limit_override FROM $schema.scope_ids WHERE id = v_scope.id), v_scope.lim);
      IF v_limit > 0 THEN
        v_before := v_fired;
        FOR v_threshold IN SELECT t::double precision FROM jsonb_array_elements_text(v_scope.thresholds)
                           WITH ORDINALITY AS y(t, o) ORDER BY y.o LOOP
          EXIT WHEN v_spent::numeric * 100 < v_limit::numeric * v_threshold::numeric;
          CONTINUE WHEN v_threshold = ANY(v_fired);
          v_fired := v_fired || v_threshold;
          v_warnings := v_warnings || jsonb_build_object('id', v_scope.id, 'key', v_scope.key, 'threshold', v_threshold);
        END LOOP;
        IF v_fired IS DISTINCT FROM v_before THEN
          UPDATE $schema.accounts SET fired = v_fired WHERE key = v_scope.key;
        END IF;
      END IF;
    END LOOP;
    IF jsonb_array_length(coalesce(p->'refunds', '[]')) > 0 THEN
      SELECT count(*) INTO v_count FROM (
        SELECT 1 FROM $schema.rate_windows
        WHERE key IN (SELECT e->>'key' FROM jsonb_array_elements(p->'refunds') AS e)
        ORDER BY key FOR UPDATE) AS locked;
      FOR v_refund IN SELECT x.e->>'key' AS key, (x.e->>'capacity')::double precision AS capacity,
                             (x.e->>'periodMs')::double precision AS period,
                             (x.e->>'amount')::double precision AS amount
                      FROM jsonb_array_elements(p->'refunds') WITH ORDINALITY AS x(e, o) ORDER BY x.o LOOP
        UPDATE $schema.rate_windows SET tat = tat - v_refund.amount * v_refund.period / v_refund.capacity
        WHERE key = v_refund.key AND tat IS NOT NULL;
      END LOOP;
    END IF;
    PERFORM $schema.append_record(p->>'record', v_limit_history);
    RETURN jsonb_build_object('settled', true, 'held', v_amount, 'balances', $schema.balances(v_scopes),
                              'warnings', v_warnings);
  END $fn$;

  CREATE FUNCTION $schema.read_balances(p jsonb) RETURNS jsonb
  LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM $schema.sweep_and_lock((p->>'now')::double precision, '[]', (p->>'historyLimit')::bigint);
    RETURN $schema.balances(p->'scopes');
  END $fn$;

  CREATE FUNCTION $schema.update_scope(p jsonb) RETURNS jsonb
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_scope jsonb := p->'scope';
  BEGIN
    IF p ? 'flags' OR p ? 'limit' THEN
      INSERT INTO $schema.scope_ids AS s (id, flags, limit_override)
      VALUES (v_scope->>'id', coalesce(p->'flags', '{}'), (p->>'limit')::bigint)
      ON CONFLICT (id) DO UPDATE SET flags = s.flags || excluded.flags,
        limit_override = CASE WHEN p ? 'limit' THEN excluded.limit_override ELSE s.limit_override END;
    END IF;
    PERFORM $schema.sweep_and_lock((p->>'now')::double precision, jsonb_build_array(v_scope),
                                   (p->>'historyLimit')::bigint);
    IF coalesce((p->>'reset')::boolean, false) THEN
      UPDATE $schema.accounts SET spent = 0, fired = '{}' WHERE key = v_scope->>'key';
    END IF;
    RETURN $schema.balances(jsonb_build_array(v_scope))->0;
  END $fn$;
  `,
];
