"""The worker's use cases, one module per capability: each gathers the facts (records, Shopify), lets the domain
decide, and writes the outcome with its Shopify actions through the adapters. Handlers, jobs, the CLI and the
operator pages call these and stay thin around them; nothing here knows which of them is calling."""
