CREATE TABLE "billing_reconciliations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"appointment" text NOT NULL,
	"patient" text,
	"service_date" date,
	"line_item_count" integer NOT NULL,
	"charges" numeric(12, 2) NOT NULL,
	"insurance_paid" numeric(12, 2) NOT NULL,
	"insurance_posted" numeric(12, 2) NOT NULL,
	"patient_paid" numeric(12, 2) NOT NULL,
	"patient_posted" numeric(12, 2) NOT NULL,
	"refunds" numeric(12, 2) NOT NULL,
	"adjustments" numeric(12, 2) NOT NULL,
	"adjustments_posted" numeric(12, 2) NOT NULL,
	"balance" numeric(12, 2) NOT NULL,
	"claim_status" text,
	"needs_review" boolean NOT NULL,
	"review_reason" text,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "claim_status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"claim_key" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"status_source" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claim_status_history_to_check" CHECK (to_status IN ('not_submitted', 'submitted', 'pending', 'paid', 'partially_paid', 'denied', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "claim_statuses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claim_key" text NOT NULL,
	"appointment" text NOT NULL,
	"patient" text,
	"payer_rank" text NOT NULL,
	"payer_name" text,
	"status" text NOT NULL,
	"status_source" text NOT NULL,
	"denial_reasons" text,
	"billed" numeric(12, 2),
	"insurance_paid" numeric(12, 2),
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "claim_statuses_claim_key_unique" UNIQUE("claim_key"),
	CONSTRAINT "claim_statuses_status_check" CHECK (status IN ('not_submitted', 'submitted', 'pending', 'paid', 'partially_paid', 'denied', 'rejected')),
	CONSTRAINT "claim_statuses_payer_rank_check" CHECK (payer_rank IN ('primary', 'secondary'))
);
--> statement-breakpoint
CREATE TABLE "insurance_transactions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"line_item" text,
	"appointment" text,
	"patient" text,
	"doctor" text,
	"ins_name" text,
	"insurance_name" text,
	"ins_paid" numeric(12, 2),
	"adjustment" numeric(12, 2),
	"adjustment_group_code" text,
	"adjustment_reason" text,
	"claim_status" text,
	"trace_number" text,
	"check_date" date,
	"posted_date" date,
	CONSTRAINT "insurance_transactions_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "line_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"appointment" text,
	"patient" text,
	"doctor" text,
	"code" text,
	"procedure_type" text,
	"modifiers" text[],
	"diagnosis_pointers" text[],
	"quantity" numeric(12, 3),
	"units" text,
	"price" numeric(12, 2),
	"billed" numeric(12, 2),
	"allowed" numeric(12, 2),
	"expected_reimbursement" numeric(12, 2),
	"ins1_paid" numeric(12, 2),
	"ins2_paid" numeric(12, 2),
	"ins3_paid" numeric(12, 2),
	"ins_total" numeric(12, 2),
	"pt_paid" numeric(12, 2),
	"paid_total" numeric(12, 2),
	"adjustment" numeric(12, 2),
	"balance_ins" numeric(12, 2),
	"balance_pt" numeric(12, 2),
	"balance_total" numeric(12, 2),
	"billing_status" text,
	"insurance_status" text,
	"denied_flag" boolean,
	"service_date" date,
	"posted_date" date,
	CONSTRAINT "line_items_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "patient_payments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"appointment" text,
	"line_item" text,
	"amount" numeric(12, 2),
	"payment_method" text,
	"payment_transaction_type" text,
	"trace_number" text,
	"notes" text,
	"received_date" date,
	"posted_date" date,
	"created_by" text,
	CONSTRAINT "patient_payments_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
ALTER TABLE "billing_reconciliations" ADD CONSTRAINT "billing_reconciliations_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_statuses" ADD CONSTRAINT "claim_statuses_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_transactions" ADD CONSTRAINT "insurance_transactions_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_transactions" ADD CONSTRAINT "insurance_transactions_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_transactions" ADD CONSTRAINT "insurance_transactions_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_items" ADD CONSTRAINT "line_items_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_items" ADD CONSTRAINT "line_items_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_items" ADD CONSTRAINT "line_items_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patient_payments" ADD CONSTRAINT "patient_payments_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patient_payments" ADD CONSTRAINT "patient_payments_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patient_payments" ADD CONSTRAINT "patient_payments_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_reconciliations_appointment_idx" ON "billing_reconciliations" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "billing_reconciliations_review_idx" ON "billing_reconciliations" USING btree ("needs_review") WHERE needs_review;--> statement-breakpoint
CREATE INDEX "claim_status_history_claim_idx" ON "claim_status_history" USING btree ("claim_key","id");--> statement-breakpoint
CREATE INDEX "claim_statuses_appointment_idx" ON "claim_statuses" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "insurance_transactions_appointment_idx" ON "insurance_transactions" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "insurance_transactions_line_item_idx" ON "insurance_transactions" USING btree ("line_item");--> statement-breakpoint
CREATE INDEX "line_items_appointment_idx" ON "line_items" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "line_items_patient_idx" ON "line_items" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "patient_payments_appointment_idx" ON "patient_payments" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "patient_payments_line_item_idx" ON "patient_payments" USING btree ("line_item");--> statement-breakpoint
CREATE INDEX "patient_payments_patient_idx" ON "patient_payments" USING btree ("patient");