"""API: territories, sales teams, exchange rates."""

# Path prefix → ninja Router, added to the API by vinculo.api.urls.
ROUTERS = {}
