"""The worker's use cases, one module per capability; entry points (jobs, CLI, views) stay thin around them."""
