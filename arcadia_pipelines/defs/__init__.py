"""Dagster definitions, one folder per domain; each asset is a thin shell over `warehouse`."""

import warnings

import dagster as dg

# Asset checks per monthly partition are a Dagster preview feature we use knowingly; the
# warning would otherwise print on every CLI run.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec",
                        category=dg.PreviewWarning)
