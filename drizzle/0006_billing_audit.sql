-- Hand-written: audit triggers and grants for the billing tables (schema/billing.ts). Mirrors and derived tables are
-- audited like every clinical table; claim_status_history is itself a history, so the app role may only append to
-- it and read it. The new tables' id sequences are granted by name (0001's grant covered the sequences of its time).
SELECT audit_attach(t::regclass) FROM unnest(ARRAY[
  'line_items', 'insurance_transactions', 'patient_payments', 'claim_statuses', 'billing_reconciliations'
]) AS t;
--> statement-breakpoint
GRANT SELECT, INSERT ON claim_status_history TO platform_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE line_items_id_seq, insurance_transactions_id_seq, patient_payments_id_seq,
  claim_statuses_id_seq, billing_reconciliations_id_seq, claim_status_history_id_seq TO platform_app;
