"""The organisation and who may do what: units, grids, users and their roles (the models),
password hashing, sessions and tokens, and the one permission decision."""
