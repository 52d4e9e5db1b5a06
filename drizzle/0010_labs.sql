CREATE TABLE "lab_order_refresh" (
	"lab_order" text PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lab_order_statuses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lab_order" text NOT NULL,
	"patient" text,
	"chart_id" text,
	"ordered_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"status" text,
	"priority" text,
	"result_count" integer NOT NULL,
	"abnormal_count" integer NOT NULL,
	"critical_count" integer NOT NULL,
	"open_reviews" integer NOT NULL,
	"review_state" text NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "lab_order_statuses_review_state_check" CHECK (review_state IN ('none', 'open', 'reviewed'))
);
--> statement-breakpoint
CREATE TABLE "lab_orders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"sublab" text,
	"status" text,
	"priority" text,
	"icd10_codes" text[],
	"requisition_id" text,
	"external_requisition_id" text,
	"accession_number" text,
	"notes" text,
	"timestamp" timestamp with time zone,
	"documents" text[],
	CONSTRAINT "lab_orders_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "lab_results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"lab_test" text,
	"lab_order" text,
	"patient" text,
	"document" text,
	"test_performed" text,
	"observation_code" text,
	"observation_description" text,
	"group_code" text,
	"value" text,
	"value_is_numeric" boolean,
	"value_numeric" numeric,
	"unit" text,
	"normal_range" text,
	"range_low" numeric,
	"range_high" numeric,
	"abnormal_status" text,
	"is_abnormal" boolean,
	"status" text,
	"specimen_received" timestamp with time zone,
	"comments" text,
	"severity" text NOT NULL,
	"severity_reason" text NOT NULL,
	CONSTRAINT "lab_results_drchrono_id_unique" UNIQUE("drchrono_id"),
	CONSTRAINT "lab_results_severity_check" CHECK (severity IN ('critical', 'abnormal', 'normal', 'unknown'))
);
--> statement-breakpoint
CREATE TABLE "lab_reviews" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lab_result" text NOT NULL,
	"lab_order" text,
	"patient" text,
	"doctor" text,
	"severity" text NOT NULL,
	"severity_reason" text,
	"result_status" text,
	"result_digest" text NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"closed_at" timestamp with time zone,
	"close_reason" text,
	"reopened_count" integer DEFAULT 0 NOT NULL,
	"reopen_reason" text,
	CONSTRAINT "lab_reviews_severity_check" CHECK (severity IN ('critical', 'abnormal'))
);
--> statement-breakpoint
CREATE TABLE "lab_tests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"lab_order" text,
	"name" text,
	"code" text,
	"description" text,
	"status" text,
	"collection_date" timestamp with time zone,
	"specimen_source" text,
	"specimen_condition" text,
	"specimen_total_volume" numeric,
	"internal_notes" text,
	"report_notes" text,
	CONSTRAINT "lab_tests_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
ALTER TABLE "lab_orders" ADD CONSTRAINT "lab_orders_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lab_orders" ADD CONSTRAINT "lab_orders_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "lab_order_statuses_order_idx" ON "lab_order_statuses" USING btree ("lab_order");--> statement-breakpoint
CREATE INDEX "lab_orders_patient_idx" ON "lab_orders" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "lab_results_order_idx" ON "lab_results" USING btree ("lab_order");--> statement-breakpoint
CREATE INDEX "lab_results_test_idx" ON "lab_results" USING btree ("lab_test");--> statement-breakpoint
CREATE INDEX "lab_results_patient_idx" ON "lab_results" USING btree ("patient");--> statement-breakpoint
CREATE UNIQUE INDEX "lab_reviews_open_result_idx" ON "lab_reviews" USING btree ("lab_result") WHERE closed_at IS NULL;--> statement-breakpoint
CREATE INDEX "lab_reviews_result_idx" ON "lab_reviews" USING btree ("lab_result");--> statement-breakpoint
CREATE INDEX "lab_reviews_open_idx" ON "lab_reviews" USING btree ("severity","opened_at") WHERE closed_at IS NULL;--> statement-breakpoint
CREATE INDEX "lab_tests_order_idx" ON "lab_tests" USING btree ("lab_order");