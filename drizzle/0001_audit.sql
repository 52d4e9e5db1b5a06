-- Hand-written: application role, audit triggers, append-only audit tables, maintenance functions.
-- Later migrations that add a clinical or operational table must `SELECT audit_attach('<table>')` and grant it
-- to platform_app; the test suite fails for any such table without the triggers.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'platform_app') THEN
    -- The services' role: DML on data tables, INSERT/SELECT only on audit tables. Cloud SQL IAM users are granted
    -- membership in it; the migration owner (who owns every table) is a different role.
    CREATE ROLE platform_app NOLOGIN;
  END IF;
END $$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('app.actor', true), ''), session_user::text)
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_request_id() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.request_id', true), '')
$$;
--> statement-breakpoint

-- Statement-level triggers with transition tables: one INSERT into change_log per statement instead of one per
-- row, which keeps a 250-row upsert page close to the cost of the upsert itself. SECURITY DEFINER so that only the
-- triggers can write change_log: the application role itself has SELECT on it and nothing else.
CREATE OR REPLACE FUNCTION audit_log_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, row_id, op, before, after, changed_columns, txid, actor, request_id)
  SELECT TG_TABLE_NAME, (n.j ->> 'id')::bigint, 'INSERT', NULL, n.j,
         ARRAY(SELECT k FROM jsonb_each(n.j) AS e(k, v) WHERE v <> 'null'::jsonb ORDER BY k),
         txid_current(), audit_actor(), audit_request_id()
  FROM (SELECT to_jsonb(r) AS j FROM new_rows r) AS n;
  RETURN NULL;
END $$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_log_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, row_id, op, before, after, changed_columns, txid, actor, request_id)
  SELECT TG_TABLE_NAME, n.id, 'UPDATE', o.j, n.j, c.cols, txid_current(), audit_actor(), audit_request_id()
  FROM (SELECT r.id, to_jsonb(r) AS j FROM new_rows r) AS n
  JOIN (SELECT r.id, to_jsonb(r) AS j FROM old_rows r) AS o USING (id)
  CROSS JOIN LATERAL (
    SELECT array_agg(k ORDER BY k) AS cols
    FROM jsonb_each(n.j) AS e(k, v)
    WHERE k <> 'updated_at' AND v IS DISTINCT FROM o.j -> k
  ) AS c
  -- An UPDATE that changed nothing but updated_at is not a change.
  WHERE c.cols IS NOT NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_log_delete() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, row_id, op, before, after, changed_columns, txid, actor, request_id)
  SELECT TG_TABLE_NAME, (o.j ->> 'id')::bigint, 'DELETE', o.j, NULL, '{}', txid_current(), audit_actor(), audit_request_id()
  FROM (SELECT to_jsonb(r) AS j FROM old_rows r) AS o;
  RETURN NULL;
END $$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
--> statement-breakpoint

-- Puts the audit and updated_at triggers on one table and grants it to the application role.
CREATE OR REPLACE FUNCTION audit_attach(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit_log_insert()', tbl);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows '
                 'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_log_update()', tbl);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit_log_delete()', tbl);
  EXECUTE format('CREATE OR REPLACE TRIGGER set_updated_at BEFORE UPDATE ON %s '
                 'FOR EACH ROW EXECUTE FUNCTION set_updated_at()', tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO platform_app', tbl);
END $$;
--> statement-breakpoint

SELECT audit_attach(t::regclass) FROM unnest(ARRAY[
  'providers', 'patients', 'insurance_records', 'appointments', 'clinical_notes', 'medications', 'problems',
  'allergies', 'deepcura_notes', 'intake_checklists', 'post_appointment_tasks', 'prior_authorizations',
  'questionnaire_responses', 'consent_records', 'staff_roles'
]) AS t;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_reject_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'Audit rows are evidence; correct data with a new change instead.';
END $$;
--> statement-breakpoint

-- Statement level, so that even an UPDATE or DELETE matching no row is refused loudly.
CREATE OR REPLACE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_mutation();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER change_log_no_truncate BEFORE TRUNCATE ON change_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_mutation();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_mutation();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_mutation();
--> statement-breakpoint

-- Finishing a sync_log row is the one update the app may make to an audit table, and only to a running row.
CREATE OR REPLACE FUNCTION sync_log_finish(
  log_id bigint, final_status text, seen integer, changed integer, deleted integer, calls integer,
  next_cursor text, error_class_name text
) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE sync_log
     SET status = final_status, finished_at = now(), records_seen = seen, records_changed = changed,
         records_deleted = deleted, api_calls = calls, cursor = next_cursor, error_class = error_class_name
   WHERE id = log_id AND status = 'running' AND final_status IN ('succeeded', 'failed');
$$;
--> statement-breakpoint

-- Pub/Sub redelivers for at most 7 days, so message ids older than that can no longer be duplicates.
CREATE OR REPLACE FUNCTION processed_messages_cleanup() RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  WITH removed AS (DELETE FROM processed_messages WHERE processed_at < now() - interval '7 days' RETURNING 1)
  SELECT count(*)::integer FROM removed;
$$;
--> statement-breakpoint

-- Wakes the outbox relay (LISTEN outbox) as soon as a change commits; the relay's timer is the fallback.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', TG_TABLE_NAME);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
--> statement-breakpoint

GRANT USAGE ON SCHEMA public TO platform_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON sync_log, access_log, processed_messages TO platform_app;
--> statement-breakpoint
GRANT SELECT ON change_log TO platform_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON outbox, webhook_deliveries TO platform_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO platform_app;
--> statement-breakpoint
REVOKE ALL ON FUNCTION sync_log_finish(bigint, text, integer, integer, integer, integer, text, text) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION processed_messages_cleanup() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION sync_log_finish(bigint, text, integer, integer, integer, integer, text, text) TO platform_app;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION processed_messages_cleanup() TO platform_app;
