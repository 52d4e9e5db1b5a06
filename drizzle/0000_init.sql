CREATE TABLE "allergies" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"description" text,
	"reaction" text,
	"status" text,
	"snomed_reaction" text,
	"notes" text,
	CONSTRAINT "allergies_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "appointments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"office" text,
	"exam_room" integer,
	"scheduled_time" timestamp with time zone,
	"duration" integer,
	"status" text,
	"billing_status" text,
	"ins1_status" text,
	"ins2_status" text,
	"reason" text,
	"is_telehealth" boolean,
	"deleted_flag" boolean DEFAULT false NOT NULL,
	"clinical_note_locked" boolean,
	CONSTRAINT "appointments_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "clinical_notes" (
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
	"locked" boolean DEFAULT false NOT NULL,
	"locked_by" text,
	"unlocked_at" timestamp with time zone,
	"sections" text,
	CONSTRAINT "clinical_notes_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "insurance_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text NOT NULL,
	"rank" text NOT NULL,
	"insurance_company" text,
	"insurance_payer_id" text,
	"insurance_plan_type" text,
	"insurance_id_number" text,
	"insurance_group_number" text,
	"insurance_group_name" text,
	"patient_relationship_to_subscriber" text,
	"subscriber_first_name" text,
	"subscriber_last_name" text,
	"subscriber_date_of_birth" date,
	CONSTRAINT "insurance_records_drchrono_id_unique" UNIQUE("drchrono_id"),
	CONSTRAINT "insurance_records_rank_check" CHECK (rank IN ('primary', 'secondary', 'tertiary'))
);
--> statement-breakpoint
CREATE TABLE "medications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"name" text,
	"rxnorm" text,
	"ndc" text,
	"dosage_quantity" text,
	"dosage_units" text,
	"frequency" text,
	"route" text,
	"status" text,
	"date_prescribed" date,
	"date_started_taking" date,
	"date_stopped_taking" date,
	CONSTRAINT "medications_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "patients" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"chart_id" text,
	"first_name" text,
	"middle_name" text,
	"last_name" text,
	"nick_name" text,
	"date_of_birth" date,
	"gender" text,
	"email" text,
	"cell_phone" text,
	"home_phone" text,
	"address" text,
	"city" text,
	"state" text,
	"zip_code" text,
	"preferred_language" text,
	"patient_status" text,
	"doctor" text,
	"date_of_first_appointment" date,
	"date_of_last_appointment" date,
	CONSTRAINT "patients_drchrono_id_unique" UNIQUE("drchrono_id"),
	CONSTRAINT "patients_status_check" CHECK (patient_status IN ('A', 'I', 'D'))
);
--> statement-breakpoint
CREATE TABLE "problems" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"patient" text,
	"doctor" text,
	"name" text,
	"icd_code" text,
	"icd_version" smallint,
	"status" text,
	"date_diagnosis" date,
	"date_onset" date,
	"date_changed" date,
	CONSTRAINT "problems_drchrono_id_unique" UNIQUE("drchrono_id"),
	CONSTRAINT "problems_icd_version_check" CHECK (icd_version IN (9, 10))
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"drchrono_id" text NOT NULL,
	"raw" jsonb NOT NULL,
	"source_updated_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"first_name" text,
	"last_name" text,
	"suffix" text,
	"npi_number" text,
	"specialty" text,
	"email" text,
	"office_phone" text,
	"practice_group" text,
	"is_account_suspended" boolean,
	CONSTRAINT "providers_drchrono_id_unique" UNIQUE("drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "deepcura_notes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deepcura_note_id" text NOT NULL,
	"source_appointment_id" text,
	"source_patient_id" text,
	"visit_date" date,
	"transcript" text,
	"soap_subjective" text,
	"soap_objective" text,
	"soap_assessment" text,
	"soap_plan" text,
	"icd10_suggestions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cpt_suggestions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"medication_mentions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"risk_level" text,
	"risk_factors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"raw" jsonb NOT NULL,
	"source_created_at" timestamp with time zone,
	"appointment" text,
	"patient" text,
	"clinical_note" text,
	"link_status" text DEFAULT 'unlinked' NOT NULL,
	"linked_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "deepcura_notes_deepcura_note_id_unique" UNIQUE("deepcura_note_id"),
	CONSTRAINT "deepcura_notes_risk_level_check" CHECK (risk_level IN ('none', 'low', 'moderate', 'high', 'imminent')),
	CONSTRAINT "deepcura_notes_link_status_check" CHECK (link_status IN ('linked_appointment', 'linked_patient_date', 'unlinked'))
);
--> statement-breakpoint
CREATE TABLE "consent_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"patient" text NOT NULL,
	"consent_type" text NOT NULL,
	"version" text NOT NULL,
	"status" text DEFAULT 'granted' NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"document_ref" text,
	CONSTRAINT "consent_records_type_check" CHECK (consent_type IN ('treatment', 'telehealth', 'hipaa_notice', 'release_of_information', 'financial_policy', 'sms')),
	CONSTRAINT "consent_records_status_check" CHECK (status IN ('granted', 'revoked')),
	CONSTRAINT "consent_records_revoked_check" CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "intake_checklists" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"patient" text NOT NULL,
	"appointment" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"assigned_to" text,
	"due_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "intake_checklists_status_check" CHECK (status IN ('pending', 'in_progress', 'complete', 'waived'))
);
--> statement-breakpoint
CREATE TABLE "post_appointment_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"appointment" text NOT NULL,
	"patient" text,
	"task_type" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"assigned_to" text,
	"due_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"notes" text,
	CONSTRAINT "post_appointment_tasks_type_check" CHECK (task_type IN ('note_signoff', 'billing_review', 'follow_up_scheduling', 'lab_order', 'prior_auth', 'other')),
	CONSTRAINT "post_appointment_tasks_status_check" CHECK (status IN ('open', 'in_progress', 'done', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "prior_authorizations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"patient" text NOT NULL,
	"insurance_record_id" bigint,
	"service_description" text NOT NULL,
	"cpt_code" text,
	"icd_code" text,
	"payer" text,
	"auth_number" text,
	"status" text DEFAULT 'draft' NOT NULL,
	"units_approved" integer,
	"start_date" date,
	"end_date" date,
	"submitted_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	CONSTRAINT "prior_authorizations_status_check" CHECK (status IN ('draft', 'submitted', 'approved', 'denied', 'expired', 'cancelled')),
	CONSTRAINT "prior_authorizations_dates_check" CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
	CONSTRAINT "prior_authorizations_units_check" CHECK (units_approved IS NULL OR units_approved >= 0)
);
--> statement-breakpoint
CREATE TABLE "questionnaire_responses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"patient" text NOT NULL,
	"appointment" text,
	"instrument" text NOT NULL,
	"total_score" smallint NOT NULL,
	"answers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"administered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "questionnaire_responses_instrument_check" CHECK (instrument IN ('PHQ-9', 'GAD-7', 'ASRS', 'Y-BOCS')),
	CONSTRAINT "questionnaire_responses_score_check" CHECK ((instrument = 'PHQ-9' AND total_score BETWEEN 0 AND 27) OR (instrument = 'GAD-7' AND total_score BETWEEN 0 AND 21) OR (instrument = 'ASRS' AND total_score BETWEEN 0 AND 72) OR (instrument = 'Y-BOCS' AND total_score BETWEEN 0 AND 40))
);
--> statement-breakpoint
CREATE TABLE "staff_roles" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"granted_by" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "staff_roles_role_check" CHECK (role IN ('admin', 'clinician', 'front_desk', 'billing', 'viewer')),
	CONSTRAINT "staff_roles_email_check" CHECK (email = lower(email) AND position('@' in email) > 1)
);
--> statement-breakpoint
CREATE TABLE "access_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"method" text NOT NULL,
	"path_template" text NOT NULL,
	"status" integer,
	"duration_ms" integer NOT NULL,
	"record_count" integer,
	"error_class" text,
	"request_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_log_service_check" CHECK (service IN ('drchrono', 'coda', 'deepcura', 'google'))
);
--> statement-breakpoint
CREATE TABLE "change_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"table_name" text NOT NULL,
	"row_id" bigint NOT NULL,
	"op" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"changed_columns" text[] NOT NULL,
	"txid" bigint NOT NULL,
	"actor" text NOT NULL,
	"request_id" text,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_log_op_check" CHECK (op IN ('INSERT', 'UPDATE', 'DELETE'))
);
--> statement-breakpoint
CREATE TABLE "processed_messages" (
	"message_id" text PRIMARY KEY NOT NULL,
	"subscription" text,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"resource" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"records_seen" integer DEFAULT 0 NOT NULL,
	"records_changed" integer DEFAULT 0 NOT NULL,
	"records_deleted" integer DEFAULT 0 NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"cursor" text,
	"error_class" text,
	"request_id" text,
	CONSTRAINT "sync_log_kind_check" CHECK (kind IN ('full', 'incremental', 'patient_refresh', 'deep_reconcile', 'webhook')),
	CONSTRAINT "sync_log_status_check" CHECK (status IN ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"table_name" text NOT NULL,
	"row_id" bigint NOT NULL,
	"drchrono_id" text,
	"op" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error_class" text,
	CONSTRAINT "outbox_op_check" CHECK (op IN ('upsert', 'delete'))
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"delivery_id" text NOT NULL,
	"event" text NOT NULL,
	"status" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_source_check" CHECK (source IN ('drchrono', 'deepcura')),
	CONSTRAINT "webhook_deliveries_status_check" CHECK (status IN ('applied', 'ignored'))
);
--> statement-breakpoint
ALTER TABLE "allergies" ADD CONSTRAINT "allergies_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allergies" ADD CONSTRAINT "allergies_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical_notes" ADD CONSTRAINT "clinical_notes_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical_notes" ADD CONSTRAINT "clinical_notes_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical_notes" ADD CONSTRAINT "clinical_notes_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insurance_records" ADD CONSTRAINT "insurance_records_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medications" ADD CONSTRAINT "medications_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medications" ADD CONSTRAINT "medications_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "patients" ADD CONSTRAINT "patients_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_doctor_providers_drchrono_id_fk" FOREIGN KEY ("doctor") REFERENCES "public"."providers"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deepcura_notes" ADD CONSTRAINT "deepcura_notes_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deepcura_notes" ADD CONSTRAINT "deepcura_notes_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deepcura_notes" ADD CONSTRAINT "deepcura_notes_clinical_note_clinical_notes_drchrono_id_fk" FOREIGN KEY ("clinical_note") REFERENCES "public"."clinical_notes"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_records" ADD CONSTRAINT "consent_records_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intake_checklists" ADD CONSTRAINT "intake_checklists_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "intake_checklists" ADD CONSTRAINT "intake_checklists_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_appointment_tasks" ADD CONSTRAINT "post_appointment_tasks_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_appointment_tasks" ADD CONSTRAINT "post_appointment_tasks_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prior_authorizations" ADD CONSTRAINT "prior_authorizations_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prior_authorizations" ADD CONSTRAINT "prior_authorizations_insurance_record_id_insurance_records_id_fk" FOREIGN KEY ("insurance_record_id") REFERENCES "public"."insurance_records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questionnaire_responses" ADD CONSTRAINT "questionnaire_responses_patient_patients_drchrono_id_fk" FOREIGN KEY ("patient") REFERENCES "public"."patients"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questionnaire_responses" ADD CONSTRAINT "questionnaire_responses_appointment_appointments_drchrono_id_fk" FOREIGN KEY ("appointment") REFERENCES "public"."appointments"("drchrono_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allergies_patient_idx" ON "allergies" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "appointments_patient_idx" ON "appointments" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "appointments_doctor_idx" ON "appointments" USING btree ("doctor");--> statement-breakpoint
CREATE INDEX "appointments_scheduled_time_idx" ON "appointments" USING btree ("scheduled_time");--> statement-breakpoint
CREATE INDEX "appointments_source_updated_at_idx" ON "appointments" USING btree ("source_updated_at");--> statement-breakpoint
CREATE INDEX "clinical_notes_appointment_idx" ON "clinical_notes" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "clinical_notes_patient_idx" ON "clinical_notes" USING btree ("patient");--> statement-breakpoint
CREATE UNIQUE INDEX "insurance_records_patient_rank_idx" ON "insurance_records" USING btree ("patient","rank");--> statement-breakpoint
CREATE INDEX "medications_patient_idx" ON "medications" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "patients_doctor_idx" ON "patients" USING btree ("doctor");--> statement-breakpoint
CREATE INDEX "patients_source_updated_at_idx" ON "patients" USING btree ("source_updated_at");--> statement-breakpoint
CREATE INDEX "problems_patient_idx" ON "problems" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "deepcura_notes_source_appointment_idx" ON "deepcura_notes" USING btree ("source_appointment_id");--> statement-breakpoint
CREATE INDEX "deepcura_notes_source_patient_visit_idx" ON "deepcura_notes" USING btree ("source_patient_id","visit_date");--> statement-breakpoint
CREATE INDEX "deepcura_notes_link_status_idx" ON "deepcura_notes" USING btree ("link_status");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_records_patient_type_version_idx" ON "consent_records" USING btree ("patient","consent_type","version");--> statement-breakpoint
CREATE INDEX "intake_checklists_patient_idx" ON "intake_checklists" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "post_appointment_tasks_appointment_idx" ON "post_appointment_tasks" USING btree ("appointment");--> statement-breakpoint
CREATE INDEX "post_appointment_tasks_open_idx" ON "post_appointment_tasks" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "prior_authorizations_patient_idx" ON "prior_authorizations" USING btree ("patient");--> statement-breakpoint
CREATE INDEX "questionnaire_responses_patient_idx" ON "questionnaire_responses" USING btree ("patient","instrument","administered_at");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_roles_active_idx" ON "staff_roles" USING btree ("email","role") WHERE revoked_at IS NULL;--> statement-breakpoint
CREATE INDEX "access_log_service_at_idx" ON "access_log" USING btree ("service","at");--> statement-breakpoint
CREATE INDEX "change_log_row_idx" ON "change_log" USING btree ("table_name","row_id");--> statement-breakpoint
CREATE INDEX "change_log_changed_at_idx" ON "change_log" USING btree ("changed_at");--> statement-breakpoint
CREATE INDEX "processed_messages_processed_at_idx" ON "processed_messages" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "sync_log_resource_idx" ON "sync_log" USING btree ("resource","kind","started_at");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE published_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_source_delivery_idx" ON "webhook_deliveries" USING btree ("source","delivery_id");