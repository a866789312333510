"""Summary tables the dashboards read instead of the raw requests."""
