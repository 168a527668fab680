from io import StringIO

import pytest
from django.core.management import call_command

from vinculo.accounts.models import Account, Address
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core.models import ChangeLog, SearchEntry
from vinculo.customer360.models import DocumentVersion
from vinculo.demo.records import MODELS as RECORD_MODELS
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import CompanyProfile, ExchangeRate, OrgDefault, User
from vinculo.plans.models import BusinessPlan, Objective, PlanTransition
from vinculo.sales.models import (
    Competitor,
    CompetitorContact,
    Lead,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PriceList,
    PriceListItem,
    Product,
    Quote,
    QuoteLine,
)
from vinculo.work.models import Project, Task

SALES_MODELS = (Lead, Opportunity, Quote, Product, PriceList, Competitor, Campaign)
SEARCHABLE = ("Account", "Contact", "Lead", "Opportunity", "Quote", "Product", "Competitor", "Campaign", "BusinessPlan",
              "Project", "Task")


def _counts():
    models = (User, Account, Address, Contact, ChangeLog, SearchEntry, OrgDefault, *RECORD_MODELS, DocumentVersion,
              Activity.contacts.through, Activity.participants.through, *SALES_MODELS, OpportunityLine,
              OpportunityContact, OpportunityCompetitor, QuoteLine, PriceListItem, CompetitorContact, CampaignMember,
              ExchangeRate, CompanyProfile, BusinessPlan, Objective, PlanTransition, Project, Task)
    return {model.__name__: model._base_manager.count() for model in models}


@pytest.mark.django_db
def test_demo_command_loads_the_small_set_and_a_second_run_changes_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, second = StringIO(), StringIO()

    call_command("demo", "--size", "small", stdout=first)
    loaded = _counts()
    files = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    call_command("demo", "--size", "small", stdout=second)

    converted = Lead.objects.filter(status=Lead.Status.CONVERTED).count()
    assert f"60 accounts, {250 + converted} contacts" in first.getvalue()
    assert "700 invoices, 150 leads, 400 opportunities" in first.getvalue()
    assert "nothing changed" in second.getvalue()
    assert _counts() == loaded
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file()) == files
    assert len(files) == loaded["DocumentVersion"]
    assert loaded["Account"] == 60 and loaded["Contact"] == 250 + converted
    # The Customer 360 stage's 2,500 activities, and those of leads and deals.
    assert loaded["Invoice"] == 700 and loaded["Activity"] > 2500
    assert loaded["Lead"] == 150 and loaded["Opportunity"] == 400 and 145 <= loaded["Quote"] <= 160
    assert loaded["SearchEntry"] == sum(loaded[name] for name in SEARCHABLE)
    # Every record has its "created" history entry; prospects that won a deal, their change to customer.
    made_customers = [entry for entry in ChangeLog.objects.filter(action=ChangeLog.Action.UPDATE)
                      if [change["field"] for change in entry.changes] == ["account_type", "relationship_status"]]
    created = ["Account", "Contact", *(model.__name__ for model in (*RECORD_MODELS, *SALES_MODELS)), "BusinessPlan",
               "Objective"]
    # Plans are built through their services: each workflow transition is a change in the plan's history too.
    assert loaded["ChangeLog"] == sum(loaded[name] for name in created) + len(made_customers) + loaded["PlanTransition"]
