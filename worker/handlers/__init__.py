"""One module per area; each `handle(services, event)` returns the outcome written to the event log."""
