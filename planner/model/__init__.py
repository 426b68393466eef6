"""N: what the model is. Architectures, per-family conventions, exact parameter counts, the catalog."""
