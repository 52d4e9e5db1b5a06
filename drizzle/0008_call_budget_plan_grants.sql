-- Hand-written: what the services do with the call-budget plan tables (schema/drchrono-api.ts). Counters and walk
-- positions are updated in place; seen ids and queued patients are deleted once used.
GRANT SELECT, INSERT, UPDATE ON drchrono_call_usage, sync_walks TO platform_app;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON sync_walk_seen, patient_refresh_queue TO platform_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE sync_walks_id_seq TO platform_app;
