"""Realistic Chilean and Spanish values for demo records, drawn from pools built once per run.

Faker supplies the pools (names, streets); combining pooled values with a seeded `random.Random`
is what lets the large dataset be generated in minutes: calling Faker for every field of 300,000
rows would take far longer. Tax ids carry valid check digits and phone numbers are valid E.164.
"""

import itertools
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import phonenumbers
from faker import Faker
from stdnum import iban
from stdnum.cl import rut
from stdnum.es import cif

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact


@dataclass(frozen=True)
class City:
    name: str
    region: str
    territory: str
    area_code: str
    postal_prefix: str = ""
    country: str = "CL"
    province: str = ""  # the provincia (both countries have them); the comuna or municipio is the city


CITIES = {
    "norte": [
        City("Antofagasta", "Región de Antofagasta", "Antofagasta", "55", province="Antofagasta"),
        City("Calama", "Región de Antofagasta", "Antofagasta", "55", province="El Loa"),
        City("Iquique", "Región de Tarapacá", "Arica y Tarapacá", "57", province="Iquique"),
        City("Arica", "Región de Arica y Parinacota", "Arica y Tarapacá", "58", province="Arica"),
        City("Copiapó", "Región de Atacama", "Atacama y Coquimbo", "52", province="Copiapó"),
        City("La Serena", "Región de Coquimbo", "Atacama y Coquimbo", "51", province="Elqui"),
    ],
    "centro": [
        City("Santiago", "Región Metropolitana", "Metropolitana", "2", province="Santiago"),
        City("Santiago", "Región Metropolitana", "Metropolitana", "2", province="Santiago"),
        City("Valparaíso", "Región de Valparaíso", "Valparaíso", "32", province="Valparaíso"),
        City("Viña del Mar", "Región de Valparaíso", "Valparaíso", "32", province="Valparaíso"),
        City("Rancagua", "Región de O'Higgins", "O'Higgins y Maule", "72", province="Cachapoal"),
        City("Talca", "Región del Maule", "O'Higgins y Maule", "71", province="Talca"),
    ],
    "sur": [
        City("Concepción", "Región del Biobío", "Biobío y Ñuble", "41", province="Concepción"),
        City("Chillán", "Región de Ñuble", "Biobío y Ñuble", "42", province="Diguillín"),
        City("Temuco", "Región de La Araucanía", "Araucanía y Los Ríos", "45", province="Cautín"),
        City("Valdivia", "Región de Los Ríos", "Araucanía y Los Ríos", "63", province="Valdivia"),
        City("Puerto Montt", "Región de Los Lagos", "Los Lagos y Magallanes", "65", province="Llanquihue"),
        City("Punta Arenas", "Región de Magallanes", "Los Lagos y Magallanes", "61", province="Magallanes"),
    ],
    "espana": [
        City("Madrid", "Comunidad de Madrid", "Madrid", "91", "28", "ES", province="Madrid"),
        City("Madrid", "Comunidad de Madrid", "Madrid", "91", "28", "ES", province="Madrid"),
        City("Barcelona", "Cataluña", "Cataluña", "93", "08", "ES", province="Barcelona"),
        City("Sevilla", "Andalucía", "Andalucía", "95", "41", "ES", province="Sevilla"),
        City("Málaga", "Andalucía", "Andalucía", "95", "29", "ES", province="Málaga"),
        City("Valencia", "Comunitat Valenciana", "Comunidad Valenciana", "96", "46", "ES", province="Valencia"),
        City("Bilbao", "País Vasco", "País Vasco", "94", "48", "ES", province="Bizkaia"),
    ],
}

# (industry, SIC code, business unit, words a company of that industry is named with)
INDUSTRIES = [
    ("Minería del cobre", "1021", "Minería", ["Minera", "Compañía Minera", "Sociedad Minera"]),
    ("Servicios a la minería", "1081", "Minería", ["Servicios Mineros", "Perforaciones", "Montajes Industriales"]),
    ("Maquinaria para minería y construcción", "3532", "Minería", ["Maquinarias", "Equipos", "Repuestos"]),
    ("Ingeniería", "8711", "Minería", ["Ingeniería", "Consultores"]),
    ("Pesca y acuicultura", "0921", "Industria", ["Pesquera", "Salmones", "Cultivos Marinos"]),
    ("Construcción", "1542", "Industria", ["Constructora", "Inmobiliaria", "Obras Civiles"]),
    ("Transporte de carga", "4213", "Industria", ["Transportes", "Logística"]),
    ("Vinos", "2084", "Industria", ["Viña", "Bodegas"]),
    ("Fruticultura", "0175", "Industria", ["Agrícola", "Frutícola", "Exportadora"]),
    ("Forestal y aserraderos", "2421", "Industria", ["Forestal", "Maderas"]),
    ("Generación eléctrica", "4911", "Industria", ["Energía", "Eléctrica", "Generadora"]),
    ("Productos químicos", "2819", "Industria", ["Química", "Químicos"]),
    ("Alimentos procesados", "2099", "Industria", ["Alimentos", "Conservas"]),
    ("Software y servicios TI", "7372", "Industria", ["Tecnologías", "Soluciones Informáticas", "Software"]),
    ("Supermercados", "5411", "Retail", ["Supermercados", "Comercial"]),
    ("Tiendas por departamento", "5311", "Retail", ["Tiendas", "Comercializadora"]),
    ("Distribución mayorista de alimentos", "5141", "Retail", ["Distribuidora", "Importadora"]),
    ("Ferreterías y materiales de construcción", "5211", "Retail", ["Ferretería", "Materiales"]),
    ("Farmacias", "5912", "Retail", ["Farmacias", "Droguería"]),
]

PLACES = {
    "CL": [
        "Atacama", "Los Andes", "Pacífico", "Austral", "del Maipo", "Aconcagua", "Elqui", "Biobío", "Llanquihue",
        "Tarapacá", "El Loa", "Copiapó", "Huasco", "Limarí", "Cachapoal", "Maule", "Itata", "Ñuble", "Cautín",
        "Chiloé", "Aysén", "Magallanes", "Patagonia", "Cordillera", "Valle Central", "San Pedro", "Santa Rosa",
        "El Roble", "Los Olmos", "Andina", "del Sur", "del Norte", "Licancabur", "Osorno", "Lonquimay", "Rapel",
        "Colchagua", "Casablanca", "Quillota", "Mejillones", "Taltal", "Tocopilla", "Pica", "Vicuña", "Ovalle",
        "Petorca", "Curicó", "Linares", "Arauco", "Cañete", "Angol", "Villarrica", "Frutillar", "Ancud", "Castro",
    ],
    "ES": [
        "Ibérica", "del Mediterráneo", "Cantábrica", "Levante", "Castilla", "Guadalquivir", "del Ebro", "Duero",
        "Tajo", "Sierra Nevada", "Montserrat", "Galaica", "Astur", "Navarra", "Aragonesa", "La Mancha",
        "Extremeña", "Balear", "Costa Brava", "Atlántica", "Pirineos", "Moncayo", "Gredos", "Guadarrama",
        "Alhambra", "Albufera", "Picos de Europa", "Doñana", "Rioja", "Montes de Toledo",
    ],
}
LEGAL_FORMS = {"CL": [("SpA", 40), ("Ltda.", 30), ("S.A.", 25), ("EIRL", 5)], "ES": [("S.L.", 75), ("S.A.", 25)]}
DOMAIN = {"CL": "cl", "ES": "es"}
NAME_STOPWORDS = {"y", "de", "del", "la", "las", "los", "el", "cía", "hermanos"}

# (title, executive level, the roles it plays in a purchase, department), per country.
_L, _R = Contact.ExecutiveLevel, Contact.PurchaseRole
TITLES = {
    "CL": [
        ("Gerente General", _L.C_LEVEL, [_R.DECISION_MAKER], "Gerencia", 4),
        ("Gerente de Administración y Finanzas", _L.C_LEVEL, [_R.ECONOMIC_BUYER], "Finanzas", 4),
        ("Gerente de Operaciones", _L.VP, [_R.DECISION_MAKER, _R.INFLUENCER], "Operaciones", 5),
        ("Gerente Comercial", _L.VP, [_R.INFLUENCER], "Comercial", 4),
        ("Subgerente de Abastecimiento", _L.DIRECTOR, [_R.ECONOMIC_BUYER, _R.DECISION_MAKER], "Abastecimiento", 6),
        ("Jefe de Compras", _L.MANAGER, [_R.ECONOMIC_BUYER, _R.GATEKEEPER], "Compras", 10),
        ("Jefe de Mantenimiento", _L.MANAGER, [_R.TECHNICAL_EVALUATOR, _R.USER], "Mantenimiento", 8),
        ("Jefe de Proyectos", _L.MANAGER, [_R.TECHNICAL_EVALUATOR, _R.INFLUENCER], "Proyectos", 8),
        ("Ingeniero de Procesos", _L.STAFF, [_R.TECHNICAL_EVALUATOR], "Operaciones", 8),
        ("Analista de Compras", _L.STAFF, [_R.GATEKEEPER, _R.USER], "Compras", 10),
        ("Encargado de Bodega", _L.STAFF, [_R.USER], "Logística", 6),
        ("Asistente de Gerencia", _L.STAFF, [_R.GATEKEEPER], "Gerencia", 5),
    ],
    "ES": [
        ("Director General", _L.C_LEVEL, [_R.DECISION_MAKER], "Dirección", 4),
        ("Director Financiero", _L.C_LEVEL, [_R.ECONOMIC_BUYER], "Finanzas", 4),
        ("Director de Operaciones", _L.VP, [_R.DECISION_MAKER, _R.INFLUENCER], "Operaciones", 5),
        ("Director Comercial", _L.VP, [_R.INFLUENCER], "Comercial", 4),
        ("Responsable de Compras", _L.MANAGER, [_R.ECONOMIC_BUYER, _R.GATEKEEPER], "Compras", 10),
        ("Jefe de Mantenimiento", _L.MANAGER, [_R.TECHNICAL_EVALUATOR, _R.USER], "Mantenimiento", 8),
        ("Técnico de Procesos", _L.STAFF, [_R.TECHNICAL_EVALUATOR], "Operaciones", 8),
        ("Administrativo de Compras", _L.STAFF, [_R.GATEKEEPER, _R.USER], "Compras", 10),
        ("Responsable de Almacén", _L.STAFF, [_R.USER], "Logística", 6),
        ("Asistente de Dirección", _L.STAFF, [_R.GATEKEEPER], "Dirección", 5),
    ],
}

BANKS = {
    "CL": ["Banco de Chile", "BancoEstado", "Santander Chile", "BCI", "Scotiabank Chile", "Itaú Chile", "Banco Security"],
    "ES": [("CaixaBank", "2100"), ("BBVA", "0182"), ("Banco Santander", "0049"), ("Banco Sabadell", "0081")],
}
CREDIT_BEHAVIOUR = [
    "Paga a 30 días sin atrasos.",
    "Paga a 60 días; atrasos puntuales en el cierre de año.",
    "Historial de pago irregular el año pasado, hoy regularizado.",
    "Pide extender el plazo en cada compra grande.",
    "Pago contado; no usa la línea de crédito.",
]
COMMERCIAL_REPORTS = {
    "CL": ["Informe comercial sin protestos vigentes.", "Dos protestos aclarados; sin deudas morosas.",
           "Sin anotaciones en el Boletín Comercial."],
    "ES": ["Sin incidencias en RAI ni ASNEF Empresas.", "Una incidencia antigua en RAI, ya cancelada."],
}
RISK_ANALYSIS = [
    "Riesgo bajo: trayectoria larga y ventas estables.",
    "Riesgo medio: depende de un solo gran cliente.",
    "Riesgo medio: endeudamiento alto tras la última inversión.",
    "Riesgo alto: ventas a la baja dos años seguidos.",
]
OTHER_SUPPLIERS = [
    "Compra también a la competencia local.", "Trabaja con dos proveedores más y licita cada año.",
    "Proveedor único hasta ahora; evalúa alternativas.", "Compra repuestos importados directamente.",
]
DESCRIPTIONS = [
    "Cliente histórico; renueva contrato marco cada año.",
    "Abre una planta nueva el próximo trimestre.",
    "Interesado en ampliar la línea de servicios.",
    "Licita por ChileCompra; revisar bases a tiempo.",
    "Decide el comité de compras en la casa matriz.",
    "",
]


def fold_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in " -")).lower()


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class Weighted:
    """A weighted choice prepared once, for the values drawn millions of times."""

    def __init__(self, pairs):
        self.values, weights = zip(*pairs, strict=True)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


def spread(rng: random.Random, total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Whole counts proportional to `weights`, each at least `minimum`, summing to exactly `total`."""
    total = max(total, minimum * len(weights))
    scale = total / sum(weights)
    counts = [max(minimum, round(weight * scale)) for weight in weights]
    difference = total - sum(counts)
    while difference:
        index = rng.randrange(len(counts))
        step = 1 if difference > 0 else -1
        if counts[index] + step >= minimum:
            counts[index] += step
            difference -= step
    return counts


class Pools:
    """Every value a demo record needs, drawn at random from pools built once."""

    def __init__(self, seed: int, max_accounts: int):
        self.rng = random.Random(seed)
        rng = self.rng
        self.first_names, self.last_names, self.streets = {}, {}, {}
        for country, locale in (("CL", "es_CL"), ("ES", "es_ES")):
            faker = Faker(locale)
            faker.seed_instance(seed)
            self.first_names[country] = sorted({faker.first_name() for _ in range(600)})
            self.last_names[country] = sorted({faker.last_name() for _ in range(600)})
            self.streets[country] = sorted({faker.street_name() for _ in range(600)})
        # Without replacement: tax ids are unique among live accounts.
        self._ruts = iter(rng.sample(range(76_000_000, 78_000_000), max_accounts))
        self._cifs = iter(rng.sample(range(10**7), max_accounts))
        # Validating candidates is the slow part of building the pools: size them to the dataset.
        phones = min(200, 20 + max_accounts // 10)
        self.landlines = {city: self._landlines(city, phones) for zone in CITIES.values() for city in zone}
        self.mobiles = {country: self._valid_numbers(prefix, 8, 10 * phones)
                        for country, prefix in (("CL", "569"), ("ES", "346"))}
        self.used_names: set[str] = set()

    # Identifiers -------------------------------------------------------------------------------------

    def rut(self) -> str:
        body = str(next(self._ruts))
        return body + rut.calc_check_digit(body)

    def cif(self, legal_form: str) -> str:
        # A = sociedad anónima, B = sociedad limitada; both carry a numeric check digit.
        number = ("A" if legal_form == "S.A." else "B") + f"{next(self._cifs):07d}"
        return number + cif.calc_check_digits(number)[0]

    def tax_id(self, country: str, legal_form: str) -> str:
        return self.rut() if country == "CL" else self.cif(legal_form)

    def _valid_numbers(self, prefix: str, digits: int, count: int, first: str = "") -> list[str]:
        numbers = set()
        while len(numbers) < count:
            candidate = "+" + prefix + first + "".join(self.rng.choices("0123456789", k=digits - len(first)))
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                numbers.add(candidate)
        return sorted(numbers)

    def _landlines(self, city: City, count: int) -> list[str]:
        # Chilean and Spanish national numbers have nine digits; Chilean landlines start with 2 after the area.
        code = {"CL": "56", "ES": "34"}[city.country]
        return self._valid_numbers(code + city.area_code, 9 - len(city.area_code), count,
                                   first="2" if city.country == "CL" else "")

    def landline(self, city: City) -> str:
        return self.rng.choice(self.landlines[city])

    def mobile(self, country: str) -> str:
        return self.rng.choice(self.mobiles[country])

    # Names -------------------------------------------------------------------------------------------

    def person(self, country: str) -> tuple[str, str]:
        first = self.rng.choice(self.first_names[country])
        last = self.rng.choice(self.last_names[country])
        if self.rng.random() < 0.7:  # most Chileans and Spaniards use both surnames
            last = f"{last} {self.rng.choice(self.last_names[country])}"
        return first, last

    def company(self, country: str, words: list[str]) -> tuple[str, str, str]:
        """(legal name, trade name, legal form), the legal name unused so far in this run."""
        rng = self.rng
        legal_form = weighted(rng, LEGAL_FORMS[country])
        for _ in range(50):
            word = rng.choice(words)
            surname = rng.choice(self.last_names[country])
            pattern = rng.random()
            if pattern < 0.4:
                base = f"{word} {rng.choice(PLACES[country])}"
            elif pattern < 0.7:
                base = f"{word} {surname}"
            elif pattern < 0.9:
                base = f"{word} {surname} y {rng.choice(self.last_names[country])}"
            else:
                base = f"{word} {surname} Hermanos"
            legal_name = f"{base} {legal_form}"
            if legal_name not in self.used_names:
                break
        else:
            legal_name = f"{base} {len(self.used_names)} {legal_form}"
        self.used_names.add(legal_name)
        trade_name = base if rng.random() < 0.3 else ""
        return legal_name, trade_name, legal_form

    def domain(self, legal_name: str, country: str) -> str:
        words = [w for w in fold_ascii(legal_name).split() if w not in NAME_STOPWORDS][:2]
        return "".join(words) + "." + DOMAIN[country]

    def email(self, first: str, last: str, domain: str) -> str:
        return f"{fold_ascii(first).split()[0]}.{fold_ascii(last).split()[0]}@{domain}"

    def street(self, country: str) -> str:
        number = self.rng.randint(10, 9999) if country == "CL" else self.rng.randint(1, 180)
        street = self.rng.choice(self.streets[country])
        return f"{street} {number}" if country == "CL" else f"{street}, {number}"

    def postal_code(self, city: City) -> str:
        return f"{city.postal_prefix}{self.rng.randint(1, 999):03d}" if city.postal_prefix else ""

    def title(self, country: str):
        title, level, roles, department, _ = self.rng.choices(TITLES[country], [t[4] for t in TITLES[country]])[0]
        return title, level, self.rng.choice(roles), department

    # Money and terms ---------------------------------------------------------------------------------

    def size(self, country: str, large: bool = False) -> tuple[int, Decimal]:
        """(employees, annual revenue in the country's currency)."""
        bands = [((5, 49), 35), ((50, 199), 30), ((200, 999), 25), ((1000, 20000), 10)]
        low, high = bands[-1][0] if large else weighted(self.rng, bands)
        employees = self.rng.randint(low, high)
        per_employee = self.rng.randint(20, 120) * 1_000_000 if country == "CL" else self.rng.randint(60, 250) * 1000
        return employees, Decimal(employees * per_employee)

    def bank_details(self, country: str) -> str:
        if country == "CL":
            account = f"{self.rng.randint(0, 99):02d}-{self.rng.randint(0, 999):03d}-{self.rng.randint(0, 99999):05d}"
            return f"{self.rng.choice(BANKS['CL'])} · cta. cte. {account}-{self.rng.randint(0, 9)}"
        bank, code = self.rng.choice(BANKS["ES"])
        bban = code + "".join(self.rng.choices("0123456789", k=16))
        number = f"ES{iban.calc_check_digits('ES00' + bban)}{bban}"
        return f"{bank} · IBAN {iban.format(number)}"

    def purchase_methods(self, country: str) -> list[str]:
        methods = [m for m in Account.PurchaseMethod.values if country == "CL" or m != "public_tender"]
        return sorted(self.rng.sample(methods, self.rng.choice([1, 1, 2, 2, 3])))
