"""The vault (ARCHITECTURE invariant 4): per-patient data keys wrapped by the master key, the encrypted
blob store, sealed text fields, and the key ring of a unit of work (ADR 0008).

Low in the layers (docs/architecture.md): it depends on ``common`` only, so every package that keeps
health content — the record, the profile, the agenda, messaging, the space's exports and attestations,
the emergency reasons of ``access`` — seals and stores through it. It is not a Django app of its own: its
two models keep the ``records`` app label (see ``models``).
"""
