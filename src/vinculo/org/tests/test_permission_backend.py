import pytest
from django.contrib.auth.models import Group, Permission

from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permission(codename):
    return Permission.objects.get(codename=codename)


def test_own_and_group_permissions_are_read_together_in_one_query(django_assert_num_queries):
    user = UserFactory()
    user.user_permissions.add(permission("view_territory"))
    group = Group.objects.create(name="Finanzas")
    group.permissions.add(permission("change_exchangerate"))
    user.groups.add(group)
    Group.objects.create(name="Otros").permissions.add(permission("delete_territory"))

    with django_assert_num_queries(1):
        assert user.has_perm("org.view_territory")
        assert user.has_perm("org.change_exchangerate")
        assert not user.has_perm("org.delete_territory")
        assert not user.has_perm("org.add_territory")
    assert user.get_all_permissions() == {"org.view_territory", "org.change_exchangerate"}


def test_an_inactive_user_has_none_and_a_superuser_has_all():
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(permission("view_territory"))
    assert not inactive.has_perm("org.view_territory")
    superuser = UserFactory(is_superuser=True)
    assert superuser.get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
