CREATE TABLE "drchrono_call_budget" (
	"hour_start" timestamp with time zone PRIMARY KEY NOT NULL,
	"calls_used" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "drchrono_call_budget_calls_used_check" CHECK (calls_used >= 0)
);
