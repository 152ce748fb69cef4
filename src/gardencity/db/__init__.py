"""Database access: engine, column types, spatial filters and migrations."""
