"""A test client that calls the API as a user, with a bearer token like a real integration."""

from django.test import Client

from vinculo.api.models import ApiToken

BASE = "/api/v1"


class ApiClient:
    def __init__(self, user):
        _token, key = ApiToken.issue(user)
        self.user = user
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def get(self, path, **params):
        return self.client.get(BASE + path, params)

    def post(self, path, data):
        return self.client.post(BASE + path, data, content_type="application/json")

    def patch(self, path, data, **headers):
        return self.client.patch(BASE + path, data, content_type="application/json", headers=headers)

    def delete(self, path):
        return self.client.delete(BASE + path)


def error_fields(response) -> set:
    return {error["field"] for error in response.json()["detail"]}
