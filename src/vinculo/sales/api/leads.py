"""API: leads."""

# Path prefix → ninja Router, added to the API by vinculo.api.urls.
ROUTERS = {}
