-- Hand-written: the services reserve DrChrono calls in drchrono_call_budget (sync/drchrono/budget.ts) with one
-- INSERT … ON CONFLICT DO UPDATE, which needs SELECT, INSERT and UPDATE. No DELETE: old hours are kept as a record of use.
GRANT SELECT, INSERT, UPDATE ON drchrono_call_budget TO platform_app;
