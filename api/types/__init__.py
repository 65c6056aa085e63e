"""GraphQL object types, one module per domain; each builds itself from a graph record (a dict)."""
