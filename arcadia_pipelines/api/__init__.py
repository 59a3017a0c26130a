"""The invoice API (CONTRACT.md, "Invoice API"): `app.create_app(engine)`, bearer keys in `keys`.

Kept import-free so the CLI's argparse wiring stays quick to load."""
