"""Root query fields, one class per domain; api.schema merges them."""
