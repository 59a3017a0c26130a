"""Documents finance sends and tenants read: an invoice or a credit note as PDF (an Australian tax
invoice or adjustment note when tax applies) and as CSV, and the month's AR export for the ledger
(CSV and Parquet), from the warehouse and the supplier's details in configuration."""
