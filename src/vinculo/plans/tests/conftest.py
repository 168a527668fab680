from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission

from vinculo.org.tests.factories import UserFactory


@pytest.fixture
def plan_org(org):
    """The standing users plus a holder of the *approve plans* permission (outside the sales hierarchy)."""
    approver = UserFactory(username="aprobador")
    approver.user_permissions.add(Permission.objects.get(codename="approve_businessplan"))
    return SimpleNamespace(**vars(org), approver=approver)
