"""Locale formats (``FORMAT_MODULE_PATH``): what Django's own ``{{ value }}`` and ``|date`` without an argument show.

Pages use the filters of ``carnet.common.templatetags.carnet_dates`` (``carnet.common.dates``); these formats keep
anything else in the same spirit ("5 décembre 2026 à 19 h 42", "5 December 2026 at 7:42 p.m.") and make the
English date fields day-first (DD/MM/YYYY), as the French ones are and as the English labels say.
"""
