"""Helpers of scripts/gen_option_tables.py: read frameworks' source from pinned archives."""
