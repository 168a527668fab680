"""Column mapping: which column of a file fills which field, suggested from its header in Spanish or
English (as Outlook, Google, a vCard and people write them)."""

import re

from .rules import strip_accents

# For each kind, each field the importer fills and the headers that name it (compared without accents,
# case and punctuation). Outlook's own headers, English and Spanish, are among them.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {
        "first_name": ("first name", "given name", "nombre", "nombres", "nombre de pila"),
        "middle_name": ("middle name", "additional name", "segundo nombre"),
        "last_name": ("last name", "family name", "surname", "apellido", "apellidos"),
        "full_name": ("full name", "name", "display name", "nombre completo", "nombre para mostrar"),
        "email": ("email", "e mail", "e mail address", "email address", "e mail 1 value", "correo",
                  "correo electronico", "direccion de correo electronico", "mail"),
        "mobile": ("mobile", "mobile phone", "cell", "cell phone", "movil", "telefono movil", "celular",
                   "telefono celular"),
        "phone": ("phone", "business phone", "work phone", "telephone", "telefono", "telefono del trabajo",
                  "telefono de la compania", "telefono fijo", "fono"),
        "account": ("company", "organization", "organization name", "company name", "account", "empresa",
                    "organizacion", "compania", "cuenta", "razon social"),
        "title": ("job title", "organization title", "position", "cargo", "puesto"),
        "department": ("department", "organization department", "departamento", "area"),
        "city": ("city", "business city", "home city", "ciudad", "ciudad del trabajo", "ciudad de trabajo",
                 "comuna"),
        "country": ("country", "business country region", "country region", "pais", "pais o region",
                    "pais o region del trabajo", "pais region de trabajo"),
        "description": ("notes", "note", "description", "notas", "nota", "descripcion", "comentarios"),
    },
    "accounts": {
        "legal_name": ("legal name", "company", "company name", "account", "account name", "name", "razon social",
                       "empresa", "cuenta", "nombre", "nombre de la cuenta"),
        "trade_name": ("trade name", "brand", "nombre de fantasia", "nombre comercial", "fantasia"),
        "tax_id": ("tax id", "vat", "vat number", "rut", "nif", "cif", "nif cif", "id fiscal", "identificacion fiscal"),
        "country": ("country", "pais"),
        "phone": ("phone", "telephone", "telefono", "fono"),
        "email": ("email", "e mail", "correo", "correo electronico"),
        "website": ("website", "web", "url", "sitio web", "pagina web"),
        "account_type": ("type", "account type", "tipo", "tipo de cuenta"),
        "employees": ("employees", "number of employees", "empleados", "numero de empleados"),
        "description": ("description", "notes", "descripcion", "notas"),
    },
    "leads": {
        "first_name": ("first name", "given name", "nombre", "nombres"),
        "last_name": ("last name", "family name", "surname", "apellido", "apellidos"),
        "email": ("email", "e mail", "email address", "correo", "correo electronico"),
        "phone": ("phone", "mobile", "telephone", "telefono", "movil", "celular", "fono"),
        "company": ("company", "organization", "company name", "empresa", "compania", "razon social"),
        "company_tax_id": ("tax id", "company tax id", "rut", "nif", "cif", "rut empresa"),
        "title": ("job title", "position", "cargo", "puesto"),
        "city": ("city", "ciudad", "comuna"),
        "region": ("region", "state", "estado", "provincia"),
        "country": ("country", "pais"),
        "description": ("description", "notes", "descripcion", "notas", "comentarios"),
    },
}


def header_key(header: str) -> str:
    text = strip_accents(header or "").lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def suggest(headers: list[str], kind: str) -> dict[str, str]:
    """{header: field} for the headers recognised; each field is filled from one column, the first."""
    fields = SYNONYMS[kind]
    lookup = {header_key(synonym): name for name, synonyms in fields.items() for synonym in synonyms}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        name = lookup.get(header_key(header))
        if name and name not in taken:
            mapping[header] = name
            taken.add(name)
    return mapping


def clean_mapping(mapping: dict, headers: list[str], kind: str) -> dict[str, str]:
    """The part of a user's `mapping` that names a column of the file and a field of the kind."""
    fields = SYNONYMS[kind]
    return {header: name for header, name in (mapping or {}).items()
            if header in headers and name in fields}
