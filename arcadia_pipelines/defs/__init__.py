"""Dagster definitions, one folder per domain (digitalocean/, invoicing/, finance/) and what they share
(partitions, the warehouse resource, metadata, source tables, BI views). Each asset is a thin shell
over a `monthend` stage; definitions.py collects them into the code location."""

import warnings

import dagster as dg

# One run per range of months (`backfill_policy`) is a beta parameter we use knowingly; its notice
# would otherwise print on every CLI run and in every run's log.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy` of function `asset`", category=dg.BetaWarning)
