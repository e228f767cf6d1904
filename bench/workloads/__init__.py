"""One module per workload group; each has run(context)."""
