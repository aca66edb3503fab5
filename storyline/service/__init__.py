"""Orchestration: what runs the pipeline stages (backfills on a Dask cluster: :mod:`storyline.service.backfill`)."""
