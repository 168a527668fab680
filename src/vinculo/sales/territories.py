"""Leads live in territories: what the territory rules match them on."""


def lead_facts(lead) -> dict[str, str]:
    return {"country": lead.country, "region": lead.region, "city": lead.city, "postal_code": "",
            "industry": str(lead.industry_id or "")}


def for_territory_rules(leads):
    return leads.only("pk", "territory_id", "country", "region", "city", "industry_id", "first_name", "last_name",
                      "company")
