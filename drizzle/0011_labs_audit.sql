-- Hand-written: audit triggers and grants for the lab tables (schema/labs.ts). The mirrors, the review queue and the
-- per-order status are audited like every clinical table (a review's acknowledgement is in change_log with its actor).
-- lab_order_refresh is plumbing (order ids a webhook asked the next cycle to re-read), unaudited: the app role inserts,
-- reads and deletes its rows. The new id sequences are granted by name (0001's grant covered the sequences of its time).
SELECT audit_attach(t::regclass) FROM unnest(ARRAY[
  'lab_orders', 'lab_tests', 'lab_results', 'lab_reviews', 'lab_order_statuses'
]) AS t;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON lab_order_refresh TO platform_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE lab_orders_id_seq, lab_tests_id_seq, lab_results_id_seq, lab_reviews_id_seq,
  lab_order_statuses_id_seq TO platform_app;
