"""THE access policy (ARCHITECTURE invariant 1): every read or write of patient data asks ``access``.

Pure Python, no database: callers build plain facts (``access.facts``) from their models and ask
``access.policy.decide(...)``, which answers allow/deny with the SPEC rule id that decided.
See ``docs/subsystems/access.md``.
"""
