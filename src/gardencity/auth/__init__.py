"""Who may do what: password hashing, sessions and tokens, and the one permission decision."""
