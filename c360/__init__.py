"""Composition root: settings, the command line and the local-services launcher.

The only package that reads the environment and the only one that imports `api`.
"""
