"""The patient's "Historique d'activité" (R-TR-3): its pages, who may see them (R-TR-2, asked of
``access``), the e-mailed digest of the signed head and the verifier's page.

The history itself — traces, the transparency log, its proofs and the offline verifier — is ``audit``'s,
low in the layers because every package traces through it. Its pages need the acting-for context
(``spaces``), the policy (``access``) and the outbox (``notifications``), all above ``audit``: so they live
here, in a capability of their own (docs/architecture.md, ADR 0009). Their templates stay in
``audit/templates/audit/`` and their URL names in the ``audit`` namespace (``audit:history``...).
"""
