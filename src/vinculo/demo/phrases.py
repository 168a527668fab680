"""What the demo's sellers write and sell: products, contracts, material, activity subjects and notes.

Templates are filled with `str.format` from the account's own data (a contact's first name, a
product, the country's words for a purchase order or a delivery), so millions of rows read like
a sales team wrote them without calling Faker per row.
"""

from vinculo.activities.models import Activity
from vinculo.customer360.models import ContentDelivery, Contract

# The words that differ between a Chilean and a Spanish seller.
VOCABULARY = {
    "CL": {"oc": "OC", "la_orden": "la orden de compra", "despacho": "despacho", "cotizacion": "cotización",
           "plazo": "30 días", "ahora": "altiro"},
    "ES": {"oc": "pedido", "la_orden": "el pedido", "despacho": "envío", "cotizacion": "presupuesto",
           "plazo": "60 días", "ahora": "enseguida"},
}
# Where the customer uses what we sell ({sitio}), by business unit.
SITES = {
    "Minería": ["faena", "planta concentradora", "mina"],
    "Retail": ["centro de distribución", "sala de ventas", "bodega central"],
    "Industria": ["planta", "planta de producción"],
}

# business unit → (product, article and short name used in sentences, serial prefix)
PRODUCTS = {
    "Minería": [
        ("Bomba centrífuga para pulpa 8/6 AH", "la", "bomba de pulpa", "BP"),
        ("Revestimiento para molino SAG 36'", "el", "revestimiento del SAG", "RS"),
        ("Correa transportadora 1.400 mm EP-800", "la", "correa transportadora", "CT"),
        ("Harnero vibratorio 8' x 20'", "el", "harnero", "HV"),
        ("Válvula de cuchillo 12\"", "la", "válvula de cuchillo", "VC"),
        ("Hidrociclón 26\"", "el", "hidrociclón", "HC"),
        ("Sistema de supresión de polvo", "el", "supresor de polvo", "SP"),
        ("Kit de sellos mecánicos para bomba", "el", "kit de sellos", "KS"),
    ],
    "Retail": [
        ("Balanza etiquetadora con impresora", "la", "balanza etiquetadora", "BE"),
        ("Terminal de punto de venta táctil", "el", "terminal POS", "TP"),
        ("Cámara de frío modular 12 m³", "la", "cámara de frío", "CF"),
        ("Vitrina refrigerada 3,75 m", "la", "vitrina refrigerada", "VR"),
        ("Lector de código de barras omnidireccional", "el", "lector de códigos", "LC"),
        ("Impresora térmica de etiquetas", "la", "impresora de etiquetas", "IE"),
    ],
    "Industria": [
        ("Compresor de tornillo 37 kW", "el", "compresor", "CP"),
        ("Grupo electrógeno 500 kVA", "el", "grupo electrógeno", "GE"),
        ("Caldera a gas 2 t/h", "la", "caldera", "CA"),
        ("Variador de frecuencia 75 kW", "el", "variador de frecuencia", "VF"),
        ("Tablero eléctrico de control", "el", "tablero de control", "TC"),
        ("Bomba dosificadora de químicos", "la", "bomba dosificadora", "BD"),
    ],
}

COMPETITORS = ["Andes Industrial", "Tecnomin", "Proveedora del Pacífico", "Equipos Cordillera", "un importador chino",
               "Suministros Ibéricos", "la distribuidora local"]

_C = Contract.Type
# (type, description) — {short} is a product, {year} the contract's first year
CONTRACTS = [
    (_C.MAINTENANCE, "Mantención preventiva de {short}"),
    (_C.MAINTENANCE, "Servicio técnico 24/7 — {short}"),
    (_C.SUPPLY, "Suministro de repuestos {year}"),
    (_C.SUPPLY, "Suministro anual de {short} y repuestos"),
    (_C.SERVICE, "Asistencia técnica en {sitio}"),
    (_C.SERVICE, "Monitoreo de condición de equipos"),
    (_C.FRAMEWORK, "Contrato marco de suministro {year}"),
    (_C.LICENSE, "Licencia del software de monitoreo Vigía"),
]

_K, _CH = ContentDelivery.Kind, ContentDelivery.Channel
# (title, kind, channel, link or reference) — sent to prospects and customers alike
MATERIAL = [
    ("Presentación corporativa {year}", _K.PRESENTATION, _CH.VISIT, ""),
    ("Catálogo de repuestos {year}", _K.CATALOGUE, _CH.EMAIL, "https://vinculo.example/catalogo"),
    ("Lista de precios {year}", _K.CATALOGUE, _CH.EMAIL, ""),
    ("Ficha técnica: {product}", _K.BROCHURE, _CH.EMAIL, ""),
    ("Folleto: {product}", _K.BROCHURE, _CH.POST, ""),
    ("Artículo: cómo alargar la vida útil de su {short}", _K.ARTICLE, _CH.PORTAL, "KB-{number}"),
    ("Artículo: mantención predictiva en 5 pasos", _K.ARTICLE, _CH.PORTAL, "KB-{number}"),
    ("Muestra de repuestos para {short}", _K.SAMPLE, _CH.VISIT, ""),
    ("Capacitación en operación segura de {short}", _K.TRAINING, _CH.VISIT, ""),
    ("Caso de éxito: 20% menos de detenciones con mantención predictiva", _K.ARTICLE, _CH.EMAIL, "KB-{number}"),
]
DELIVERY_NOTES = ["", "", "Lo pidió en la última reunión.", "Para el comité de compras.",
                  "Quedó de revisarlo con su equipo.", "Se entregó en papel y por correo."]

_A = Activity.Kind
# Each pool comes in two parts: what sellers write about any company, and what only makes sense with a
# company we already sell to (left out for prospects, partners we do not bill, competitors...).
SUBJECTS = {
    _A.CALL: [
        "Seguimiento {cotizacion} {number}", "Consulta por stock de {short}", "Coordinar visita técnica con {first}",
        "Consulta de precios {year}",
    ],
    _A.MEETING: [
        "Presentación de propuesta: {short}", "Reunión con el comité de compras", "Negociación de precios {year}",
        "Videollamada con {first} sobre el plan de mantención",
    ],
    _A.VISIT: ["Visita a {sitio}", "Visita comercial a {first} {last}", "Entrega de muestras",
               "Levantamiento de equipos en {sitio}"],
    _A.EMAIL: ["Envío de {cotizacion} {number}", "Ficha técnica de {short}", "Confirmación de reunión con {first}"],
    _A.NOTE: [
        "Conversación de pasillo con {first}", "Cambio en el equipo de compras", "La competencia ofreció descuento",
        "Evalúan licitar el suministro", "Presupuesto {year} aprobado",
    ],
    "task": [
        "Enviar catálogo de {short} a {first}", "Preparar {cotizacion} de {short}", "Llamar a {first} para agendar visita",
        "Actualizar datos de contacto del área de compras", "Revisar bases de licitación {year}",
    ],
}
CUSTOMER_SUBJECTS = {
    _A.CALL: [
        "Llamada a {first} por {despacho} pendiente", "Confirmar recepción de {oc} {number}", "Cobranza factura vencida",
        "Reclamo por atraso en la entrega", "Renovación del contrato de mantención", "{first} pide plazo de pago",
    ],
    _A.MEETING: ["Revisión trimestral de la cuenta", "Inicio de proyecto {short}", "Revisión del contrato marco"],
    _A.VISIT: ["Inspección técnica de {short}", "Capacitación a operadores de {short}"],
    _A.EMAIL: ["Re: plazos de {despacho}", "Re: factura vencida", "Propuesta de renovación {year}", "Re: {oc} {number}"],
    _A.NOTE: [],
    "task": [
        "Coordinar {despacho} de {short} con bodega", "Enviar propuesta de renovación a {first}",
        "Revisar factura vencida con finanzas", "Programar mantención de {short} en {sitio}",
    ],
}
DESCRIPTIONS = [
    "Hablé con {first}: piden cotizar {quantity} unidades de {short}. Enviar antes del viernes.",
    "Quedamos de volver a conversar después del cierre de mes.",
    "{first} va a presentar la propuesta al gerente; respuesta en dos semanas.",
    "Hicimos una demostración de {short}; les interesa una prueba en {sitio}.",
]
CUSTOMER_DESCRIPTIONS = [
    "{first} confirma que {la_orden} sale la próxima semana; piden {plazo} de plazo.",
    "Revisamos {the_short}: falta un repuesto, lo despachamos {ahora}.",
    "Están conformes con el servicio, pero preguntan por precios nuevos para {year}.",
    "Reclamo por el último {despacho}: llegó incompleto. Se repone sin costo.",
]

NOTE_TITLES = ["", "", "", "Ojo", "Competencia", "Compras", "Pendiente", "Visita a {sitio}"]
CUSTOMER_NOTE_TITLES = ["Cobranza", "Contrato"]
NOTES = [
    "Ojo: {competitor} les ofreció un {percent}% de descuento en {short}. {first} dice que se quedan con nosotros "
    "si igualamos el plazo de entrega.",
    "Cambió el jefe de compras: ahora todo pasa por {first} {last}. Hay que presentarnos de nuevo y llevar el "
    "catálogo actualizado.",
    "En la visita a {sitio} vi {quantity} equipos de {competitor} sin mantención. Oportunidad para un contrato "
    "de servicio.",
    "No contestan hace tres semanas. {first} está de vacaciones; retomar a fin de mes.",
    "{first} pidió referencias de otros clientes con {short}. Le paso el contacto de un cliente conforme.",
    "El gerente de operaciones prefiere {competitor}, pero compras manda por precio. Bajar 3% si es necesario.",
]
CUSTOMER_NOTES = [
    "{first} ({title}) confirma que {la_orden} por {short} sale la próxima semana. Pide {plazo} de plazo; "
    "lo consulto con finanzas.",
    "Reclamo: {the_short} llegó con atraso. Comprometimos entrega de los accesorios en 10 días. Seguir de cerca.",
    "Presupuesto {year} aprobado en el directorio; quieren renovar el contrato antes de marzo.",
    "Piden factura separada por centro de costo. Avisar a facturación.",
    "Tienen una factura vencida; dicen que está en proceso de pago. Llamar el lunes a {first}.",
    "Buena reunión. Les interesa ampliar a una segunda línea de {short}; armar propuesta.",
]

# Files each account keeps: (title, kind of file, how many versions at most)
DOCUMENTS = [
    ("Propuesta comercial {year}", "pdf", 3),
    ("Condiciones comerciales", "pdf", 2),
    ("Listado de equipos instalados", "csv", 2),
    ("Acta de reunión {day}", "txt", 1),
]
VERSION_COMMENTS = ["", "Corrige precios", "Agrega descuento por volumen", "Versión firmada", "Ajustes pedidos por compras"]
# The asset list in the demo's CSV files is written in Spanish whatever the language of the run.
ASSET_STATUS = {"active": "En uso", "in_service": "En servicio técnico", "retired": "Dado de baja",
                "returned": "Devuelto"}

# Sales ------------------------------------------------------------------------------------------------
# Deal names by business unit: {short} is a product of the unit, {sitio} where it goes, {year} the deal's year.
OPPORTUNITY_NAMES = {
    "Minería": [
        "Suministro de {short} para {sitio}", "Cambio de revestimientos del molino SAG {year}",
        "Contrato de mantención de bombas {year}", "Repuestos de desgaste para {sitio}", "Renovación de {short}",
        "Licencias Vigía para {sitio}", "Monitoreo de condición en {sitio}", "Ampliación de la línea de {short}",
        "Servicio técnico 24/7 en faena", "Overhaul de {short}", "Repuestos en consignación {year}",
    ],
    "Industria": [
        "Suministro de {short} para {sitio}", "Reemplazo de {short}", "Contrato de mantención de compresores {year}",
        "Respaldo eléctrico para {sitio}", "Eficiencia energética: {short}", "Renovación de {short} {year}",
        "Repuestos y servicio para {sitio}",
    ],
    "Retail": [
        "Renovación de {short} en salas de venta", "Cadena de frío: {short}", "Equipamiento de {sitio}",
        "Licencias de punto de venta {year}", "Mantención de cadena de frío {year}", "Apertura de tienda: {short}",
    ],
}
# What comes next on an open deal, by stage (the order of the pipeline).
NEXT_STEPS = [
    ["Llamar para agendar la primera reunión", "Enviar presentación corporativa", "Identificar quién decide la compra"],
    ["Confirmar presupuesto disponible con {first}", "Reunión de descubrimiento con el área técnica",
     "Validar plazos del proyecto con {first}"],
    ["Visita técnica a {sitio}", "Levantamiento de equipos en terreno", "Preparar propuesta técnica"],
    ["Enviar {cotizacion} formal", "Presentar la propuesta al comité de compras", "Seguimiento de la {cotizacion} con {first}"],
    ["Negociar plazo de pago", "Ajustar descuento por volumen", "Esperar {la_orden}",
     "Revisar condiciones del contrato con el área legal"],
]
# Interactions on a deal: {name} is the deal's name.
DEAL_SUBJECTS = {
    _A.CALL: ["Seguimiento: {name}", "Llamada a {first} por {name}", "Aclarar alcance técnico de {name}"],
    _A.MEETING: ["Reunión de avance: {name}", "Presentación de la propuesta: {name}", "Negociación: {name}"],
    _A.VISIT: ["Visita técnica por {name}", "Levantamiento en {sitio} para {name}"],
    _A.EMAIL: ["Envío de antecedentes: {name}", "Re: {name}", "Confirmación de reunión por {name}"],
    "task": ["Preparar propuesta técnica: {name}", "Pedir precios a fábrica para {name}",
              "Actualizar la {cotizacion} de {name}"],
}
WON_NOTES = ["", "Orden de compra recibida.", "Adjudicado en licitación.", "Firmaron el contrato por dos años.",
             "Ganamos por plazo de entrega y servicio técnico en la zona."]
LOST_NOTES = {
    "price": ["Nuestro precio quedó 12 % sobre el ganador.", "El presupuesto aprobado era menor."],
    "competitor": ["Eligieron a la competencia por plazo de entrega.", "La competencia ofreció financiamiento."],
    "timing": ["El proyecto se postergó para el próximo año."],
    "no_decision": ["No hubo presupuesto aprobado.", "Cancelaron el proyecto."],
    "product_fit": ["Necesitaban una capacidad que no ofrecemos."],
    "relationship": ["Cambió el gerente de operaciones; prefiere a su proveedor de siempre."],
    "other": [""],
}
COMPETITOR_STRENGTHS = ["Precio 8 % más bajo", "Plazo de entrega más corto", "Relación con el gerente de operaciones",
                        "Equipo ya instalado en la planta", "Ofrece financiamiento a 24 meses", ""]
COMPETITOR_WEAKNESSES = ["Sin servicio técnico en la zona", "Repuestos no originales", "Garantía de solo 6 meses",
                         "Plazo de entrega de 16 semanas", "Sin referencias en esta industria", ""]
QUOTE_NOTES = ["", "", "Incluye despacho a faena.", "Precios sujetos a confirmación de stock.",
               "Considera montaje por nuestro servicio técnico.", "Descuento válido por compra conjunta."]
REJECTION_NOTES = ["", "Adjudicaron a otro proveedor.", "Precio sobre el presupuesto.", "Proyecto postergado."]
ACCEPTANCE_NOTES = ["", "Aceptada por correo; la orden de compra llega esta semana.", "Aceptada con la orden de compra."]

# Leads: what they asked and what sellers did with them. {company} is the lead's company.
LEAD_DESCRIPTIONS = [
    "", "", "Consulta por {short} desde el sitio web.", "Pidió precios de {short} para {sitio}.",
    "Lo conocimos en la feria; interesado en Vigía.", "Referido por un cliente; evalúan cambiar de proveedor.",
    "Licitación pública en preparación; pidieron información técnica.",
]
LEAD_SUBJECTS = {
    _A.CALL: ["Primer contacto con {first} ({company})", "Calificación: presupuesto y plazos", "Llamada sin respuesta"],
    _A.EMAIL: ["Envío de información de {short}", "Re: consulta desde el sitio web", "Presentación corporativa"],
    _A.MEETING: ["Videollamada de presentación con {company}", "Reunión de descubrimiento"],
    "task": ["Llamar a {first} de {company}", "Enviar ficha técnica de {short}", "Buscar referencias de {company}"],
}
LEAD_NOTES = [
    "{first} dice que deciden en el comité de compras del próximo mes.",
    "No tienen presupuesto este año; retomar en marzo.",
    "Usan equipos de la competencia con más de 10 años; buena oportunidad de renovación.",
    "Pidió que lo contacten solo por correo.",
]
UNQUALIFIED_REASONS = ["Sin presupuesto.", "Fuera de nuestro rubro.", "Empresa muy pequeña para nuestra oferta.",
                       "Datos de contacto inválidos.", ""]
# Names of deals with an estimated order, by the family of their main product ({item}).
NAMES_BY_FAMILY = {
    "Equipos para minería": ["Suministro de {item} para {sitio}", "Renovación de {item}", "Ampliación de planta: {item}"],
    "Equipos industriales": ["Suministro de {item} para {sitio}", "Reemplazo de {item}", "{item_upper} para {sitio}"],
    "Equipos para retail": ["Renovación de {item} en salas de venta", "Equipamiento de {sitio}: {item}",
                            "Apertura de tienda: {item}"],
    "Repuestos": ["Repuestos para {sitio}: {item}", "Reposición de {item}", "Stock anual de {item} {year}"],
    "Servicios": ["{item_upper} en {sitio}", "Servicios técnicos {year}: {item}"],
    "Licencias de software": ["Licencias de software {year}", "Renovación de licencias {year}"],
    "Contratos de mantención": ["Contrato {year}: {item}", "Renovación del contrato de {item}"],
}
# Deals about our monitoring software, Vigía.
VIGIA_NAMES = ["Proyecto Vigía en {sitio}", "Licencias Vigía {year}", "Ampliación de Vigía a {sitio}"]
