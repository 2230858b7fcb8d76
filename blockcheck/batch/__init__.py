"""Batch runs of many districts on a Dask cluster (``blockcheck batch MANIFEST.toml --out DIR``).

:mod:`~blockcheck.batch.manifest` reads and checks the manifest,
:mod:`~blockcheck.batch.run` runs each district through :func:`blockcheck.pipeline.run`
on the cluster and :mod:`~blockcheck.batch.summary` writes the batch summary.
"""
