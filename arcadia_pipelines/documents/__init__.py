"""Documents finance sends and tenants read: an invoice as PDF (an Australian tax invoice when tax
applies) and as CSV, from the warehouse's invoice and the supplier's details in configuration."""
