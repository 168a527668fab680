from django.db import models

from vinculo.accounts.models import AccountRecord


class SiteVisit(AccountRecord):
    """A visit to a customer's plant: visible to whoever sees its account (AccountRecord's rule)."""

    place = models.CharField(max_length=120)

    def __str__(self):
        return self.place

    def search_text(self) -> str:
        return self.place
