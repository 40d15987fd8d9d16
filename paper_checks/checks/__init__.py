"""The checks; each public module here is one check (see paper_checks/README.md). ORDER fixes the report order."""
ORDER = ("spectra", "constant", "grf", "sparsity", "gd", "ansatz", "per_degree", "images", "alignment")
