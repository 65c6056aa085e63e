"""Root mutation fields, one module per domain; each returns a payload with typed errors."""
