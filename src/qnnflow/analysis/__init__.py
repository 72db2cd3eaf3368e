"""Read-only analyses of a model: performance and resource estimates."""
