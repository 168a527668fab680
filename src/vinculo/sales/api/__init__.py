"""The sales resources of the API; each module owns its routers, wired in vinculo.api.urls."""
