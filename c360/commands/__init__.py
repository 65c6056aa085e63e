"""Subcommands of `c360`, one module per job."""
