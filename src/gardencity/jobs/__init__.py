"""Heavy work outside HTTP requests: assessment runs and batches of cities."""
