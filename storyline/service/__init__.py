"""Orchestration: what runs the pipeline stages — polling feeds (:mod:`storyline.service.watch`) and backfills on a
Dask cluster (:mod:`storyline.service.backfill`). The readers they call stay in :mod:`storyline.ingest`."""
