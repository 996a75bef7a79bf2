"""The prevention calendar (SPEC §6, R-AG-3, R-AG-4): rules as data, a pure engine, the patient's
statuses and opt-outs, and the daily reminder job. Its models live in the ``agenda`` app."""
