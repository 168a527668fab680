"""The demo organisation: business units, offices, the territory tree, the role hierarchy and its users.

Everything is fetched-or-created by name, so loading it again changes nothing. The demo password
"demo" exists only here.
"""

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from faker import Faker

from vinculo.core.access import AccessLevel
from vinculo.core.money import Currency
from vinculo.org.models import (
    BusinessUnit,
    Office,
    OrgDefault,
    Role,
    SalesTeam,
    SalesTeamMember,
    Territory,
    User,
)

DEMO_PASSWORD = "demo"

BUSINESS_UNITS = [("Minería", "MIN"), ("Retail", "RET"), ("Industria", "IND")]
OFFICES = [
    ("Santiago", "Santiago", "CL", "Retail"),
    ("Antofagasta", "Antofagasta", "CL", "Minería"),
    ("Concepción", "Concepción", "CL", "Industria"),
    ("Madrid", "Madrid", "ES", "Industria"),
]
# country › region › zones; Spain stops at regions.
TERRITORIES = {
    "Chile": {
        "Norte": ["Arica y Tarapacá", "Antofagasta", "Atacama y Coquimbo"],
        "Centro": ["Metropolitana", "Valparaíso", "O'Higgins y Maule"],
        "Sur": ["Biobío y Ñuble", "Araucanía y Los Ríos", "Los Lagos y Magallanes"],
    },
    "España": {"Madrid": [], "Cataluña": [], "Andalucía": [], "Comunidad Valenciana": [], "País Vasco": []},
}
# role name → the role it reports to
ROLES = {
    "Sales director": None,
    "Zone manager North": "Sales director",
    "Rep North": "Zone manager North",
    "Zone manager Centre": "Sales director",
    "Rep Centre": "Zone manager Centre",
    "Zone manager South": "Sales director",
    "Rep South": "Zone manager South",
    "Country manager Spain": "Sales director",
    "Rep Spain": "Country manager Spain",
}
# The sales zones: who sells there, from which office, which territories they cover.
ZONES = {
    "norte": {"manager_role": "Zone manager North", "rep_role": "Rep North", "office": "Antofagasta",
              "region": "Norte", "team": "Equipo Norte", "unit": "Minería"},
    "centro": {"manager_role": "Zone manager Centre", "rep_role": "Rep Centre", "office": "Santiago",
               "region": "Centro", "team": "Equipo Centro", "unit": "Retail"},
    "sur": {"manager_role": "Zone manager South", "rep_role": "Rep South", "office": "Concepción",
            "region": "Sur", "team": "Equipo Sur", "unit": "Industria"},
    "espana": {"manager_role": "Country manager Spain", "rep_role": "Rep Spain", "office": "Madrid",
               "region": "España", "team": "Equipo España", "unit": "Industria"},
}
# username → (first name, last name, role, manager's username, sales zone)
USERS = {
    "director": ("Carolina", "Fuentes Vidal", "Sales director", None, None),
    "gerente.norte": ("Rodrigo", "Araya Castillo", "Zone manager North", "director", "norte"),
    "vendedor.norte": ("Matías", "Rojas Tapia", "Rep North", "gerente.norte", "norte"),
    "gerente.centro": ("Felipe", "Contreras Lagos", "Zone manager Centre", "director", "centro"),
    "vendedora.centro": ("Valentina", "Morales Ríos", "Rep Centre", "gerente.centro", "centro"),
    "gerente.sur": ("Patricio", "Muñoz Sepúlveda", "Zone manager South", "director", "sur"),
    "vendedor.sur": ("Tomás", "Soto Navarrete", "Rep South", "gerente.sur", "sur"),
    "gerente.espana": ("Lucía", "García Martín", "Country manager Spain", "director", "espana"),
    "comercial.madrid": ("Javier", "Fernández Ruiz", "Rep Spain", "gerente.espana", "espana"),
    # Finance sits beside the director so it sees every account, and holds the financial-data permission.
    "finanzas": ("Andrea", "Pizarro Lobos", "Sales director", None, None),
}


@dataclass
class Organisation:
    """The demo organisation as loaded, keyed by name for the record builders."""

    units: dict[str, BusinessUnit]
    offices: dict[str, Office]
    territories: dict[str, Territory]
    users: dict[str, User]
    teams: dict[str, SalesTeam]
    # zone → its reps (the named one first), its manager
    reps: dict[str, list[User]] = field(default_factory=dict)
    managers: dict[str, User] = field(default_factory=dict)


def _territories() -> dict[str, Territory]:
    found = {}

    def node(name, parent, kind):
        found[name], _ = Territory.objects.get_or_create(name=name, parent=parent, defaults={"kind": kind})
        return found[name]

    for country, regions in TERRITORIES.items():
        country_node = node(country, None, Territory.Kind.COUNTRY)
        for region, zones in regions.items():
            region_node = node(region, country_node, Territory.Kind.REGION)
            for zone in zones:
                node(zone, region_node, Territory.Kind.ZONE)
    return found


@cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow: one hash serves every demo user, and only when one is created.
    return make_password(DEMO_PASSWORD)


def _user(username, **profile) -> User:
    # A callable default runs only when the user is created.
    return User.objects.get_or_create(username=username, defaults={**profile, "password": _demo_password_hash})[0]


# Org-wide defaults: customer and sales records are private; every seller reads the campaigns.
ORG_DEFAULTS = {
    "accounts.account": AccessLevel.PRIVATE,
    "contacts.contact": AccessLevel.PRIVATE,
    "marketing.campaign": AccessLevel.PUBLIC_READ,
    "sales.lead": AccessLevel.PRIVATE,
    "sales.opportunity": AccessLevel.PRIVATE,
    "sales.quote": AccessLevel.PRIVATE,
}


def load_organisation(extra_reps_per_zone: int = 0) -> Organisation:
    """Fetch or create the demo organisation; `extra_reps_per_zone` adds anonymous reps for the large dataset."""
    for record_type, access in ORG_DEFAULTS.items():
        OrgDefault.objects.get_or_create(record_type=record_type, defaults={"access": access})

    units = {
        name: BusinessUnit.objects.get_or_create(name=name, defaults={"code": code})[0]
        for name, code in BUSINESS_UNITS
    }
    offices = {
        name: Office.objects.get_or_create(
            name=name, defaults={"city": city, "country": country, "business_unit": units[unit]}
        )[0]
        for name, city, country, unit in OFFICES
    }
    territories = _territories()
    roles = {}
    for name, parent in ROLES.items():
        roles[name], _ = Role.objects.get_or_create(name=name, parent=roles.get(parent))

    users = {
        "admin": _user(
            "admin", first_name="Admin", last_name="Vínculo", email="admin@vinculo.example",
            is_superuser=True, is_staff=True, language="es", office=offices["Santiago"],
        )
    }
    for username, (first, last, role, manager, zone) in USERS.items():
        spain = zone == "espana"
        zone_data = ZONES.get(zone, {})
        users[username] = _user(
            username, first_name=first, last_name=last, role=roles[role],
            manager=users.get(manager), email=f"{username}@vinculo.example", language="es",
            currency=Currency.EUR if spain else Currency.CLP,
            time_zone="Europe/Madrid" if spain else "America/Santiago",
            office=offices[zone_data.get("office", "Santiago")],
            business_unit=units[zone_data["unit"]] if zone else None,
        )
        if not users[username].territories.exists():
            users[username].territories.set([territories[zone_data["region"] if zone else "Chile"]])
    users["director"].territories.add(territories["España"])
    users["finanzas"].user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="view_financial_data")
    )
    # Keeps the product catalogue, price lists and competitors; sees no customer records.
    users["catalogo"] = _user(
        "catalogo", first_name="Gestión", last_name="de catálogo", email="catalogo@vinculo.example", language="es",
        office=offices["Santiago"],
    )
    users["catalogo"].user_permissions.add(
        Permission.objects.get(content_type__app_label="sales", codename="manage_catalogue")
    )

    faker = [Faker("es_CL"), Faker("es_ES")]
    for instance in faker:
        instance.seed_instance(1)
    organisation = Organisation(units=units, offices=offices, territories=territories, users=users, teams={})
    for zone, data in ZONES.items():
        manager = next(u for u in users.values() if u.role_id == roles[data["manager_role"]].pk)
        for number in range(1, extra_reps_per_zone + 1):
            first, last = faker[zone == "espana"].first_name(), faker[zone == "espana"].last_name()
            username = f"rep.{zone}.{number:02d}"
            rep = _user(
                username, first_name=first, last_name=last, role=roles[data["rep_role"]],
                manager=manager, email=f"{username}@vinculo.example", language="es",
                office=offices[data["office"]], business_unit=units[data["unit"]],
                currency=Currency.EUR if zone == "espana" else Currency.CLP,
            )
            users[username] = rep
        # Every rep of the zone, the named one first: also those a previous run added.
        zone_reps = list(User.objects.filter(role=roles[data["rep_role"]]).order_by("pk"))
        users.update((rep.username, rep) for rep in zone_reps)
        team, _ = SalesTeam.objects.get_or_create(name=data["team"], defaults={"business_unit": units[data["unit"]]})
        SalesTeamMember.objects.get_or_create(
            team=team, user=manager, defaults={"function": SalesTeamMember.Function.LEADER}
        )
        for rep in zone_reps:
            SalesTeamMember.objects.get_or_create(team=team, user=rep)
        organisation.teams[zone] = team
        organisation.reps[zone] = zone_reps
        organisation.managers[zone] = manager
    return organisation
