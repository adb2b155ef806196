"""Indicator engine: registry, SQL families, scope, ratios; no streamlit here."""
