"""DigitalOcean ingestion: the hourly inventory that meters usage, and DigitalOcean's monthly bill."""
