"""What the demo company sells and against whom: its profile, exchange rates, products and price lists,
competitors and marketing campaigns.

Each type is loaded when the database has none of it, so a second run changes nothing and what users
edited stays; the sales builder then reads them back from the database. Exchange rates are a
function of the day alone, so a run on a later day only adds the days since.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from stdnum.cl import rut
from stdnum.es import cif

from vinculo.core import clock
from vinculo.core.models import ChangeLog
from vinculo.marketing.models import Campaign
from vinculo.org.models import CompanyProfile, ExchangeRate
from vinculo.sales.models import Competitor, CompetitorContact, PriceList, PriceListItem, Product

RATE_HORIZON_DAYS = 730
RATE_SOURCE = "Banco Central de Chile (demo)"

# The UF follows inflation: a steady daily rise. Anchored on a fixed day so each day's value never changes.
UF_ANCHOR = (date(2026, 1, 1), Decimal("38700"))
UF_YEARLY_GROWTH = 0.024
# Dollar and euro in pesos: a middle value, two slow waves (amplitude, period in days, phase) and a
# little day-to-day noise.
WAVES = {
    "USD": (925, [(35, 410, 1.0), (12, 97, 2.0)], 3),
    "EUR": (1015, [(38, 380, 0.3), (14, 83, 1.3)], 3),
}


def rate_on(currency: str, day: date) -> Decimal:
    """The demo's exchange rate of `currency` in pesos on `day` (a pure function of the day)."""
    if currency == "CLP":
        return Decimal(1)
    if currency == "CLF":
        anchor, value = UF_ANCHOR
        years = (day - anchor).days / 365.25
        return (value * Decimal((1 + UF_YEARLY_GROWTH) ** years)).quantize(Decimal("0.01"))
    middle, waves, noise = WAVES[currency]
    t = day.toordinal()
    value = middle + sum(amplitude * math.sin(2 * math.pi * t / period + phase) for amplitude, period, phase in waves)
    value += random.Random(f"{currency}{t}").uniform(-noise, noise)
    return Decimal(value).quantize(Decimal("0.01"))


def load_exchange_rates(today: date) -> int:
    """Daily UF values and business-day dollar and euro rates for the last two years, plus today's; the
    days already stored are left as they are. Returns how many rates were added."""
    existing = set(ExchangeRate.objects.values_list("currency", "date"))
    rates = []
    for offset in range(RATE_HORIZON_DAYS, -1, -1):
        day = today - timedelta(days=offset)
        for currency in ("CLF", "USD", "EUR"):
            business_day = currency == "CLF" or day.weekday() < 5 or day == today
            if business_day and (currency, day) not in existing:
                rates.append(ExchangeRate(currency=currency, date=day, rate=rate_on(currency, day), source=RATE_SOURCE))
    ExchangeRate.objects.bulk_create(rates, batch_size=1000)
    return len(rates)


def _rut(body: int) -> str:
    return f"{body}{rut.calc_check_digit(str(body))}"


def _cif(letter: str, number: int) -> str:
    base = f"{letter}{number:07d}"
    return base + cif.calc_check_digits(base)[0]


COMPANY = {
    "name": "Cumbre Industrial",
    "legal_name": "Cumbre Equipos y Servicios Industriales SpA",
    "tax_id": _rut(76_482_915),
    "country": "CL",
    "address": "Av. Apoquindo 4501, oficina 1201, Las Condes, Santiago",
    "phone": "+56229405100",
    "email": "ventas@cumbreindustrial.cl",
    "website": "https://www.cumbreindustrial.cl",
    "quote_terms": (
        "Precios netos en la moneda indicada; el IVA se agrega en cada línea.\n"
        "Validez de la oferta: 30 días desde su fecha.\n"
        "Forma de pago: 30 días desde la fecha de la factura, contra orden de compra.\n"
        "Plazo de entrega: según stock, a confirmar al recibir la orden de compra.\n"
        "Los valores en UF se facturan al valor de la UF del día de emisión de la factura.\n"
        "Garantía: 12 meses por defectos de fabricación, desde la puesta en marcha."
    ),
}


def load_company_profile() -> CompanyProfile:
    """Our company's details on quotes, filled in only while the profile is still blank."""
    profile = CompanyProfile.current()
    if not profile.legal_name:
        for name, value in COMPANY.items():
            setattr(profile, name, value)
        profile.save()
    return profile


# Products ---------------------------------------------------------------------------------------------

_U = Product.Unit
MINING, INDUSTRY, RETAIL, SPARES, SERVICES, SOFTWARE, MAINTENANCE = (
    "Equipos para minería", "Equipos industriales", "Equipos para retail", "Repuestos", "Servicios",
    "Licencias de software", "Contratos de mantención",
)
# (code, name, family, unit, price in pesos or, for products sold only in Spain, in euros, the business
# units whose deals use it ("ES" = Spanish accounts), description)
PRODUCTS = [
    ("EQM-001", "Bomba centrífuga para pulpa 8/6 AH", MINING, _U.UNIT, 38_500_000, "MIN",
     "Bomba horizontal de servicio pesado, revestimiento de goma natural."),
    ("EQM-002", "Bomba centrífuga para pulpa 10/8 AH", MINING, _U.UNIT, 52_900_000, "MIN", ""),
    ("EQM-003", "Hidrociclón 26\"", MINING, _U.UNIT, 14_200_000, "MIN", "Con ápex y vortex de poliuretano."),
    ("EQM-004", "Harnero vibratorio 8' x 20'", MINING, _U.UNIT, 96_000_000, "MIN", "Doble bandeja, motovibradores."),
    ("EQM-005", "Correa transportadora 1.400 mm EP-800", MINING, _U.METRE, 185_000, "MIN",
     "Precio por metro lineal; empalme vulcanizado aparte."),
    ("EQM-006", "Válvula de cuchillo 12\"", MINING, _U.UNIT, 4_350_000, "MIN", ""),
    ("EQM-007", "Sistema de supresión de polvo", MINING, _U.UNIT, 67_500_000, "MIN",
     "Nebulización de agua para chancado y traspasos de correa."),
    ("EQM-008", "Alimentador de placas 1.800 mm", MINING, _U.UNIT, 142_000_000, "MIN", ""),
    ("EQM-009", "Celda de flotación 50 m³", MINING, _U.UNIT, 210_000_000, "MIN", ""),
    ("EQI-001", "Compresor de tornillo 37 kW", INDUSTRY, _U.UNIT, 21_800_000, "IND RET MIN ES",
     "Compresor lubricado con secador integrado."),
    ("EQI-002", "Compresor de tornillo 75 kW", INDUSTRY, _U.UNIT, 36_400_000, "IND MIN ES", ""),
    ("EQI-003", "Grupo electrógeno 500 kVA", INDUSTRY, _U.UNIT, 72_000_000, "IND RET MIN ES",
     "Cabinado insonorizado, tablero de transferencia automática."),
    ("EQI-004", "Caldera a gas 2 t/h", INDUSTRY, _U.UNIT, 89_000_000, "IND ES", ""),
    ("EQI-005", "Variador de frecuencia 75 kW", INDUSTRY, _U.UNIT, 6_900_000, "IND MIN ES", ""),
    ("EQI-006", "Tablero eléctrico de control", INDUSTRY, _U.UNIT, 12_500_000, "IND MIN", ""),
    ("EQI-007", "Bomba dosificadora de químicos", INDUSTRY, _U.UNIT, 3_200_000, "IND ES", ""),
    ("EQI-008", "Secador de aire refrigerativo", INDUSTRY, _U.UNIT, 4_800_000, "IND ES", ""),
    ("EQR-001", "Balanza etiquetadora con impresora", RETAIL, _U.UNIT, 1_450_000, "RET", ""),
    ("EQR-002", "Terminal de punto de venta táctil", RETAIL, _U.UNIT, 980_000, "RET", ""),
    ("EQR-003", "Cámara de frío modular 12 m³", RETAIL, _U.UNIT, 14_900_000, "RET ES", ""),
    ("EQR-004", "Vitrina refrigerada 3,75 m", RETAIL, _U.UNIT, 8_600_000, "RET ES", ""),
    ("EQR-005", "Lector de código de barras omnidireccional", RETAIL, _U.UNIT, 285_000, "RET", ""),
    ("EQR-006", "Impresora térmica de etiquetas", RETAIL, _U.UNIT, 420_000, "RET", ""),
    ("REP-001", "Kit de sellos mecánicos para bomba", SPARES, _U.UNIT, 1_850_000, "MIN IND", ""),
    ("REP-002", "Impulsor de alto cromo 8/6 AH", SPARES, _U.UNIT, 6_300_000, "MIN", ""),
    ("REP-003", "Revestimiento para molino SAG 36' (juego completo)", SPARES, _U.UNIT, 186_000_000, "MIN",
     "Juego de placas y lifters de acero al cromo-molibdeno."),
    ("REP-004", "Revestimiento de goma para bomba 8/6", SPARES, _U.UNIT, 2_450_000, "MIN", ""),
    ("REP-005", "Polín de carga 6\"", SPARES, _U.UNIT, 68_000, "MIN", ""),
    ("REP-006", "Polín de retorno 6\"", SPARES, _U.UNIT, 54_000, "MIN", ""),
    ("REP-007", "Malla de poliuretano para harnero", SPARES, _U.UNIT, 1_150_000, "MIN", ""),
    ("REP-008", "Rodamiento de rodillos esféricos 22340", SPARES, _U.UNIT, 1_280_000, "MIN IND ES", ""),
    ("REP-009", "Elemento filtrante para compresor", SPARES, _U.UNIT, 95_000, "IND RET MIN ES", ""),
    ("REP-010", "Kit de mantención 4.000 h para compresor", SPARES, _U.UNIT, 780_000, "IND RET MIN ES", ""),
    ("REP-011", "Correa en V perfil SPC (juego)", SPARES, _U.UNIT, 240_000, "IND MIN ES", ""),
    ("REP-012", "Ápex de poliuretano para hidrociclón", SPARES, _U.UNIT, 310_000, "MIN", ""),
    ("REP-013", "Manga para válvula de cuchillo 12\"", SPARES, _U.UNIT, 420_000, "MIN", ""),
    ("REP-014", "Aceite hidráulico ISO 68", SPARES, _U.LITRE, 4_200, "IND MIN", ""),
    ("REP-015", "Grasa de litio EP2", SPARES, _U.KG, 6_800, "IND MIN", ""),
    ("SRV-001", "Hora de técnico mecánico", SERVICES, _U.HOUR, 38_000, "MIN IND RET", ""),
    ("SRV-002", "Hora de ingeniero especialista", SERVICES, _U.HOUR, 72_000, "MIN IND", ""),
    ("SRV-003", "Visita técnica en faena o planta", SERVICES, _U.DAY, 690_000, "MIN IND", ""),
    ("SRV-004", "Montaje e instalación de equipo", SERVICES, _U.SERVICE, 4_800_000, "MIN IND RET", ""),
    ("SRV-005", "Puesta en marcha y comisionamiento", SERVICES, _U.SERVICE, 2_900_000, "MIN IND", ""),
    ("SRV-006", "Capacitación de operadores (jornada)", SERVICES, _U.DAY, 1_250_000, "MIN IND RET", ""),
    ("SRV-007", "Análisis de vibraciones", SERVICES, _U.SERVICE, 980_000, "MIN IND", ""),
    ("SRV-008", "Levantamiento técnico de equipos", SERVICES, _U.SERVICE, 1_600_000, "MIN IND RET", ""),
    ("SRV-009", "Inspección termográfica", SERVICES, _U.SERVICE, 750_000, "MIN IND RET", ""),
    ("SRV-010", "Curso certificado de operación segura", SERVICES, _U.DAY, 850_000, "MIN IND",
     "Servicio educacional exento de IVA."),
    ("SRV-011", "Flete y despacho a faena", SERVICES, _U.SERVICE, 450_000, "MIN", ""),
    ("SW-001", "Vigía: monitoreo de condición, licencia por equipo", SOFTWARE, _U.LICENCE, 1_900_000,
     "MIN IND ES", "Licencia anual por equipo monitoreado."),
    ("SW-002", "Vigía Analítica: módulo de mantención predictiva", SOFTWARE, _U.LICENCE, 8_400_000, "MIN IND ES", ""),
    ("SW-003", "Vigía: usuario adicional", SOFTWARE, _U.LICENCE, 420_000, "MIN IND ES", ""),
    ("SW-004", "Vigía Móvil: app para técnicos", SOFTWARE, _U.LICENCE, 260_000, "MIN IND", ""),
    ("SW-005", "Software de punto de venta, licencia por caja", SOFTWARE, _U.LICENCE, 350_000, "RET", ""),
    ("SW-006", "Implementación de Vigía", SOFTWARE, _U.SERVICE, 6_500_000, "MIN IND", ""),
    ("SW-007", "Soporte y actualizaciones de Vigía", SOFTWARE, _U.YEAR, 2_800_000, "MIN IND ES", ""),
    ("MAN-001", "Mantención preventiva de bombas de pulpa", MAINTENANCE, _U.MONTH, 3_600_000, "MIN", ""),
    ("MAN-002", "Servicio técnico 24/7 en faena", MAINTENANCE, _U.MONTH, 8_900_000, "MIN", ""),
    ("MAN-003", "Mantención preventiva de compresores", MAINTENANCE, _U.MONTH, 980_000, "IND RET MIN", ""),
    ("MAN-004", "Mantención anual de grupos electrógenos", MAINTENANCE, _U.YEAR, 5_400_000, "IND RET", ""),
    ("MAN-005", "Mantención de cadena de frío en salas de venta", MAINTENANCE, _U.MONTH, 1_350_000, "RET", ""),
    ("MAN-006", "Monitoreo de condición de equipos", MAINTENANCE, _U.MONTH, 2_200_000, "MIN IND", ""),
    ("MAN-007", "Repuestos en consignación en faena", MAINTENANCE, _U.YEAR, 24_000_000, "MIN", ""),
    # Sold only in Spain, where services carry the Spanish IVA.
    ("ES-001", "Servicio técnico en planta (España)", SERVICES, _U.HOUR, 62, "ES", ""),
    ("ES-002", "Mantenimiento preventivo de compresores (España)", MAINTENANCE, _U.MONTH, 890, "ES", ""),
    ("ES-003", "Puesta en marcha en planta (España)", SERVICES, _U.SERVICE, 2_400, "ES", ""),
    ("ES-004", "Formación de operarios (España)", SERVICES, _U.DAY, 1_100, "ES", ""),
    ("ES-005", "Transporte y entrega en la península", SERVICES, _U.SERVICE, 380, "ES", ""),
]
EXEMPT = {"SRV-010"}
SPANISH_IVA = Decimal("21")
CHILEAN_IVA = Decimal("19")

# (name, currency, description); a product is on a list when the list's rule admits it.
PRICE_LISTS = [
    ("Lista general CLP", "CLP", "Precios de lista en pesos, netos de IVA."),
    ("Lista USD", "USD", "Para clientes que compran en dólares (proyectos con financiamiento externo)."),
    ("Lista UF", "CLF", "Servicios, contratos y equipos en UF, reajustables."),
    ("Tarifa España EUR", "EUR", "Tarifa para clientes en España, precios sin IVA."),
]
# Pesos per unit used to derive the other lists from the peso prices (a list is set once a year).
LIST_RATES = {"USD": 930, "CLF": 38_700, "EUR": 1_020}


def list_price(code: str, clp_or_eur: int, markets: str, currency: str) -> Decimal | None:
    """A product's price on the list of `currency`, or None when the list does not carry it.
    Rounded so that whole quantities and discounts in steps of 5 % give exact amounts: pesos to hundreds,
    dollars and euros to units, UF to 0.20."""
    spain_only = code.startswith("ES-")
    if currency == "EUR":
        if "ES" not in markets:
            return None
        return Decimal(clp_or_eur if spain_only else max(1, round(clp_or_eur / LIST_RATES["EUR"])))
    if spain_only:
        return None
    if currency == "CLP":
        return Decimal(round(clp_or_eur, -2))
    if currency == "USD":
        return None if markets == "RET" else Decimal(max(1, round(clp_or_eur / LIST_RATES["USD"])))
    if clp_or_eur < 100_000:  # UF: not for consumables
        return None
    fifths = round(clp_or_eur / LIST_RATES["CLF"] * 5)
    return Decimal(max(fifths, 1)) / 5


def tax_rate(code: str) -> Decimal:
    if code in EXEMPT:
        return Decimal("0")
    return SPANISH_IVA if code.startswith("ES-") else CHILEAN_IVA


# Competitors --------------------------------------------------------------------------------------------

# (name, country, tax id, website, phone, email, products, strengths, weaknesses, notes, [contacts],
#  business units where we meet them)
COMPETITORS = [
    ("Andes Industrial S.A.", "CL", _rut(96_512_340), "https://www.andesindustrial.cl", "+56224301200",
     "ventas@andesindustrial.cl", "Bombas de pulpa, hidrociclones, repuestos de desgaste.",
     "Gran stock de repuestos en Santiago y Antofagasta. Precios agresivos en bombas.",
     "Servicio técnico lento fuera de Santiago. Poca ingeniería de aplicación.",
     "Suele entrar con 10-15 % bajo nuestro precio en licitaciones de repuestos.",
     [("Marcelo Ibarra", "Gerente Comercial Minería"), ("Paula Cifuentes", "Ejecutiva de Ventas Norte")], "MIN"),
    ("Tecnomin SpA", "CL", _rut(76_118_452), "https://www.tecnomin.cl", "+56552456700", "contacto@tecnomin.cl",
     "Revestimientos de molino, harneros, mallas de poliuretano.",
     "Fabricación local de revestimientos. Relación histórica con las grandes mineras del norte.",
     "Plazos de entrega largos. Sin software de monitoreo.", "",
     [("Jorge Alvarado", "Gerente General"), ("Claudia Rivas", "Jefa de Ventas"),
      ("Sebastián Olivares", "Ingeniero de Aplicaciones")], "MIN"),
    ("Proveedora del Pacífico Ltda.", "CL", _rut(78_334_905), "https://www.provpacifico.cl", "+56322681400",
     "ventas@provpacifico.cl", "Repuestos genéricos, rodamientos, correas, lubricantes.",
     "Precio bajo en repuestos genéricos. Despacho rápido en la zona centro.",
     "Repuestos no originales. Garantía limitada.", "",
     [("Héctor Saavedra", "Vendedor Técnico")], "IND MIN RET"),
    ("Equipos Cordillera SpA", "CL", _rut(76_905_213), "https://www.equiposcordillera.cl", "+56227154000",
     "info@equiposcordillera.cl", "Compresores, grupos electrógenos, secadores de aire.",
     "Representa una marca europea reconocida. Buen financiamiento con leasing.",
     "Cobertura débil en el sur. Servicio técnico subcontratado.", "",
     [("Rocío Espinoza", "Subgerente Comercial"), ("Andrés Vidal", "Jefe de Servicio Técnico")], "IND RET MIN"),
    ("Suministros Ibéricos S.L.", "ES", _cif("B", 8_234_517), "https://www.suministrosibericos.es", "+34913456700",
     "comercial@suministrosibericos.es", "Distribución industrial: compresores, rodamientos, transmisión.",
     "Red de almacenes en toda la península. Entrega en 24 horas.",
     "Poca experiencia en proyectos. Márgenes altos en servicios.", "",
     [("Alberto Navarro", "Director Comercial"), ("Marta Gil", "Key Account Manager")], "ES"),
    ("Minerotec Chile SpA", "CL", _rut(77_245_118), "https://www.minerotec.cl", "+56552891300",
     "hola@minerotec.cl", "Plataforma de monitoreo de equipos en la nube, sensores inalámbricos.",
     "Interfaz moderna y precio por suscripción mensual.",
     "Sin servicio en terreno. Depende de sensores de terceros.", "Startup con inversión extranjera desde 2023.",
     [("Francisca Lagos", "Country Manager")], "MIN IND"),
    ("Bombas y Procesos del Norte Ltda.", "CL", _rut(78_912_334), "https://www.bombasnorte.cl", "+56552334500",
     "taller@bombasnorte.cl", "Reparación de bombas, servicio técnico en faena.",
     "Taller propio en Calama. Respuesta en menos de 24 horas en faena.",
     "Capacidad limitada para proyectos grandes.", "",
     [("Luis Tapia", "Dueño y Gerente"), ("Germán Cortés", "Jefe de Taller")], "MIN"),
    ("Hidráulica Austral SpA", "CL", _rut(76_703_558), "https://www.hidraulicaaustral.cl", "+56652276800",
     "ventas@hidraulicaaustral.cl", "Bombas, válvulas y equipos para acuicultura y plantas de proceso.",
     "Conoce bien la industria salmonera. Precios competitivos.",
     "Catálogo acotado. Sin presencia en el norte.", "",
     [("Carolina Barrientos", "Ejecutiva Comercial")], "IND"),
    ("Frío Comercial Andino S.A.", "CL", _rut(96_874_210), "https://www.frioandino.cl", "+56225897000",
     "proyectos@frioandino.cl", "Cámaras de frío, vitrinas refrigeradas, mantención de cadena de frío.",
     "Líder en cadena de frío para supermercados, con contratos marco con grandes cadenas.",
     "Equipos caros y mantención más cara que la nuestra.", "",
     [("Ricardo Fuenzalida", "Gerente de Proyectos"), ("Daniela Poblete", "Ejecutiva de Cuentas Retail")], "RET"),
    ("Servicios Técnicos Altiplano SpA", "CL", _rut(77_654_902), "https://www.stecaltiplano.cl", "+56572412900",
     "contacto@stecaltiplano.cl", "Mantención mecánica y eléctrica por hora.",
     "Tarifas por hora bajas. Muy flexible con los horarios de faena.",
     "Técnicos con poca certificación. Alta rotación de personal.", "",
     [("Patricio Mamani", "Administrador de Contratos")], "MIN IND"),
    ("Maquinarias Levante S.A.", "ES", _cif("A", 4_615_280), "https://www.maquinariaslevante.es", "+34963521800",
     "ventas@maquinariaslevante.es", "Compresores, calderas y grupos electrógenos de fabricación nacional.",
     "Fabricante nacional con precios competitivos.", "Servicio posventa irregular fuera del Levante.", "",
     [("Vicente Ferrer", "Jefe de Ventas"), ("Nuria Soler", "Técnica Comercial")], "ES"),
    ("Retail Systems Chile SpA", "CL", _rut(76_330_871), "https://www.retailsystems.cl", "+56226403300",
     "ventas@retailsystems.cl", "Software y hardware de punto de venta, balanzas.",
     "Software POS integrado con los ERP de las grandes cadenas.",
     "Hardware de gama baja. Soporte solo en horario de oficina.", "",
     [("Gonzalo Henríquez", "Gerente Comercial"), ("Valeria Muñoz", "Preventa")], "RET"),
]


# Campaigns ----------------------------------------------------------------------------------------------

_K, _S = Campaign.Kind, Campaign.Status


@dataclass(frozen=True)
class CampaignPlan:
    name: str
    kind: str
    start: date
    end: date
    owner: str
    country: str
    description: str
    # The business unit whose contacts it reaches ("" = all), and the sales zones its leads come from
    # ("" = every zone of its country).
    units: str = ""
    zones: str = ""

    def status(self, today: date) -> str:
        if self.start > today:
            return _S.PLANNED
        return _S.ACTIVE if self.end >= today else _S.COMPLETED


def campaign_plans(today: date) -> list[CampaignPlan]:
    """The demo's campaigns, dated around `today`: most of them done, some running, a few ahead."""
    def ago(days):
        return today - timedelta(days=days)

    # Exponor is held in Antofagasta in June of even years.
    fair_year = today.year - (today.year % 2)
    if date(fair_year, 6, 12) > today:
        fair_year -= 2
    exponor = date(fair_year, 6, 9)
    this_year = today.year
    plans = [
        CampaignPlan(f"Exponor {fair_year}", _K.TRADE_FAIR, exponor, exponor + timedelta(days=3), "gerente.norte",
                     "CL", "Stand en Exponor, Antofagasta: bombas de pulpa, revestimientos y Vigía en vivo.", "MIN",
                     "norte centro"),
        CampaignPlan("Webinar: mantención predictiva en plantas concentradoras", _K.WEBINAR, ago(170), ago(170),
                     "gerente.norte", "CL", "Casos de uso de Vigía Analítica con datos reales de vibraciones.", "MIN"),
        CampaignPlan(f"Lista de precios {this_year} por correo", _K.MAILING, date(this_year, 1, 12),
                     date(this_year, 2, 28), "director", "CL", "Envío de la lista de precios anual a clientes."),
        CampaignPlan("Telemarketing prospectos zona norte", _K.TELEMARKETING, ago(75), today + timedelta(days=45),
                     "gerente.norte", "CL", "Llamadas a empresas de servicios a la minería sin compras en 2 años.",
                     "MIN", "norte"),
        CampaignPlan("Telemarketing retail zona centro", _K.TELEMARKETING, ago(40), today + timedelta(days=50),
                     "gerente.centro", "CL", "Ofrecer mantención de cadena de frío a supermercados regionales.",
                     "RET", "centro"),
        CampaignPlan("Encuentro minero Calama", _K.EVENT, ago(320), ago(319), "gerente.norte", "CL",
                     "Desayuno técnico con superintendentes de mantenimiento.", "MIN", "norte"),
        CampaignPlan("Campaña LinkedIn: Vigía", _K.SOCIAL_ADS, ago(60), today + timedelta(days=30), "director", "CL",
                     "Anuncios segmentados a jefes de mantenimiento y confiabilidad."),
        CampaignPlan("Desayuno ejecutivo Concepción", _K.EVENT, ago(260), ago(260), "gerente.sur", "CL",
                     "Eficiencia energética en plantas industriales del Biobío.", "IND", "sur"),
        CampaignPlan(f"Alimentaria Barcelona {fair_year}", _K.TRADE_FAIR, ago(230), ago(227), "gerente.espana", "ES",
                     "Cámaras de frío y vitrinas para la distribución alimentaria.", "RET"),
        CampaignPlan("Renovación de contratos de mantención", _K.MAILING, ago(30), today + timedelta(days=60),
                     "director", "CL", "Recordatorio de renovación con 5 % de descuento por pago anticipado."),
        CampaignPlan("Webinar: eficiencia energética en compresores", _K.WEBINAR, today + timedelta(days=20),
                     today + timedelta(days=20), "gerente.sur", "CL", "Ahorro de energía con variadores y secadores.",
                     "IND"),
        CampaignPlan("Cierre de año: repuestos con despacho inmediato", _K.MAILING, today + timedelta(days=10),
                     today + timedelta(days=40), "director", "CL", "Stock disponible de repuestos de alta rotación."),
        CampaignPlan("Reactivación de clientes inactivos", _K.TELEMARKETING, ago(400), ago(340), "director", "CL",
                     "Llamadas a clientes sin compras en 12 meses."),
        CampaignPlan("Google Ads España", _K.SOCIAL_ADS, ago(200), ago(150), "gerente.espana", "ES",
                     "Suspendida: costo por lead muy alto."),
        CampaignPlan("Seminario técnico acuicultura Puerto Montt", _K.EVENT, ago(480), ago(480), "gerente.sur", "CL",
                     "Bombas y equipos para centros de cultivo y plantas de proceso.", "IND", "sur"),
        CampaignPlan("Webinar: cadena de frío sin cortes", _K.WEBINAR, ago(110), ago(110), "gerente.centro", "CL",
                     "Monitoreo de temperatura y mantención preventiva en salas de venta.", "RET"),
    ]
    return plans


# Loading ------------------------------------------------------------------------------------------------

@dataclass
class Catalogue:
    """The reference data the sales builder draws from, read back from the database."""

    products: dict            # code → Product
    price_lists: dict         # currency → PriceList
    prices: dict              # (currency, code) → unit price
    competitors: list         # [(Competitor, units)]
    campaigns: list           # [(Campaign, CampaignPlan or None)]
    profile: CompanyProfile
    created: list = field(default_factory=list)  # what this run added


def load_catalogue(users: dict, today: date, history: bool) -> Catalogue:
    """Create what is missing of the reference data and return all of it."""
    load_exchange_rates(today)
    profile = load_company_profile()
    by = users.get("catalogo") or users["admin"]
    created = []
    if not Product.all_objects.exists():
        created += Product.objects.bulk_create([
            Product(code=code, name=name, family=family, unit=unit, description=description,
                    tax_rate=tax_rate(code), created_by=by, updated_by=by)
            for code, name, family, unit, _price, _markets, description in PRODUCTS
        ])
    if not PriceList.all_objects.exists():
        products = {product.code: product for product in Product.objects.all()}
        valid_from = date(today.year, 1, 1)
        for name, currency, description in PRICE_LISTS:
            price_list = PriceList.objects.create(name=name, currency=currency, description=description,
                                                  valid_from=valid_from, created_by=by, updated_by=by)
            created.append(price_list)
            items = []
            for code, _name, _family, _unit, price, markets, _description in PRODUCTS:
                unit_price = list_price(code, price, markets, currency)
                if unit_price is not None and code in products:
                    items.append(PriceListItem(price_list=price_list, product=products[code], unit_price=unit_price))
            PriceListItem.objects.bulk_create(items)
    if not Competitor.all_objects.exists():
        for name, country, tax_id, website, phone, email, products, strengths, weaknesses, notes, people, _units \
                in COMPETITORS:
            competitor = Competitor.objects.create(
                name=name, country=country, tax_id=tax_id, website=website, phone=phone, email=email,
                products=products, strengths=strengths, weaknesses=weaknesses, notes=notes,
                created_by=by, updated_by=by,
            )
            created.append(competitor)
            domain = email.split("@", 1)[1]
            CompetitorContact.objects.bulk_create([
                CompetitorContact(competitor=competitor, name=person, title=title,
                                  email=_person_email(person, domain))
                for person, title in people
            ])
    plans = campaign_plans(today)
    if not Campaign.all_objects.exists():
        created += Campaign.objects.bulk_create([
            Campaign(name=plan.name, kind=plan.kind, status=_campaign_status(plan, today), start_date=plan.start,
                     end_date=plan.end, owner=users[plan.owner], description=plan.description,
                     created_by=users[plan.owner], updated_by=users[plan.owner])
            for plan in plans
        ])
    if history and created:
        _history(created)
    catalogue = _read_back(plans, profile)
    catalogue.created = created
    return catalogue


def _campaign_status(plan: CampaignPlan, today: date) -> str:
    return _S.ABORTED if plan.name == "Google Ads España" else plan.status(today)


def _person_email(name: str, domain: str) -> str:
    from .generators import fold_ascii

    first, last = fold_ascii(name).split()[:2]
    return f"{first[0]}{last}@{domain}"


def _history(records: list) -> None:
    ChangeLog.objects.bulk_create([
        ChangeLog(content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk,
                  action=ChangeLog.Action.CREATE, user_id=record.created_by_id, at=clock.now(),
                  record_label=str(record)[:300])
        for record in records
    ])


def _read_back(plans: list[CampaignPlan], profile: CompanyProfile) -> Catalogue:
    products = {product.code: product for product in Product.objects.filter(is_active=True)}
    price_lists, prices = {}, {}
    for price_list in PriceList.objects.filter(is_active=True).order_by("pk"):
        price_lists.setdefault(price_list.currency, price_list)
    for currency, price_list in price_lists.items():
        for code, unit_price in price_list.items.filter(product__in=products.values()).values_list(
                "product__code", "unit_price"):
            prices[currency, code] = unit_price
    units = {name: units for name, *_, units in COMPETITORS}
    competitors = [(competitor, units.get(competitor.name, "MIN IND RET ES" if competitor.country == "CL" else "ES"))
                   for competitor in Competitor.objects.order_by("pk")]
    by_name = {plan.name: plan for plan in plans}
    campaigns = [(campaign, by_name.get(campaign.name)) for campaign in Campaign.objects.order_by("pk")]
    return Catalogue(products=products, price_lists=price_lists, prices=prices, competitors=competitors,
                     campaigns=campaigns, profile=profile)
