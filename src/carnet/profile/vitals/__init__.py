"""Vaccinations, measurements, charts and children's growth curves of the medical profile (SPEC §4).

See ``docs/subsystems/vitals.md``.
"""
