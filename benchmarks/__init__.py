"""Month-end at scale: a synthetic warehouse generator and the rollup benchmark (`python -m benchmarks.run`)."""
