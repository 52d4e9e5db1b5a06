CREATE TABLE "drchrono_call_usage" (
	"hour_start" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "drchrono_call_usage_hour_start_kind_pk" PRIMARY KEY("hour_start","kind"),
	CONSTRAINT "drchrono_call_usage_kind_check" CHECK (kind IN ('incremental', 'patient_refresh', 'webhook', 'full', 'deep_reconcile', 'labs', 'other'))
);
--> statement-breakpoint
CREATE TABLE "patient_refresh_queue" (
	"patient" text PRIMARY KEY NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_walk_seen" (
	"walk_id" bigint NOT NULL,
	"drchrono_id" text NOT NULL,
	CONSTRAINT "sync_walk_seen_walk_id_drchrono_id_pk" PRIMARY KEY("walk_id","drchrono_id")
);
--> statement-breakpoint
CREATE TABLE "sync_walks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"resource" text NOT NULL,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"next_url" text,
	"pages" integer DEFAULT 0 NOT NULL,
	"records_seen" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sync_walks_kind_check" CHECK (kind IN ('full', 'deep_reconcile'))
);
--> statement-breakpoint
ALTER TABLE "sync_walk_seen" ADD CONSTRAINT "sync_walk_seen_walk_id_sync_walks_id_fk" FOREIGN KEY ("walk_id") REFERENCES "public"."sync_walks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sync_walks_open_idx" ON "sync_walks" USING btree ("resource","kind") WHERE finished_at IS NULL;