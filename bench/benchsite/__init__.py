"""A bench-only Django site: Carnet's settings and URLs plus two minimal JSON views over the records
selectors. Used by ``bench/read_documents.py --target bench-view`` when the JSON API is not mounted yet."""
