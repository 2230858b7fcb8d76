"""Pure metric functions of the block health check, one module per family."""
