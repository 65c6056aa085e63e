"""The GraphQL API (strawberry on Starlette): customer 360, offers, events, live updates.

Only `c360` imports this package; `create_app(ApiConfig)` in `api.app` is the entry point.
"""
