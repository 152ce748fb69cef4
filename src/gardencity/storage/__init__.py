"""Storage of photos and documents."""
