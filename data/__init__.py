"""Storage layer: schema, database URLs, import, demo data and boundaries (imports nothing above it)."""
