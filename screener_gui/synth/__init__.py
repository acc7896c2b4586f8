"""Physics-based synthetic dual-energy bag scans with ground truth (the project's data)."""
