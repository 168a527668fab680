"""The demo's business plans, built through the plans services so each carries its real history and
workflow transitions: Minera Atacama's approved annual plan with two quarterly sub-plans and objectives on
track and at risk (and last year's plan, expired), a plan waiting for gerente.norte's approval, one returned
to draft, a draft, and global objectives for all customers, the mining industry and the North."""

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from vinculo.accounts.models import Account, Industry
from vinculo.activities.models import Activity
from vinculo.activities.services import log_activity
from vinculo.core import clock
from vinculo.core.services import create_record
from vinculo.org.models import Territory, User
from vinculo.plans import services
from vinculo.plans.models import BusinessPlan, Objective
from vinculo.plans.progress import elapsed_share
from vinculo.sales.models import Opportunity

SANTIAGO = ZoneInfo("America/Santiago")


def _quarter(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = (date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1) - timedelta(days=1))
    return start, end


def _previous_quarter(day: date) -> tuple[date, date]:
    start, _end = _quarter(day)
    return _quarter(start - timedelta(days=1))


def _account(legal_name: str) -> Account | None:
    return Account.objects.filter(legal_name=legal_name).first()


def _plan(account, owner, name, start, end, target, period_type=BusinessPlan.PeriodType.ANNUAL, parent=None,
          goals="", basis=BusinessPlan.RevenueBasis.ACCOUNT) -> BusinessPlan:
    return services.create_plan(BusinessPlan(
        account=account, owner=owner, name=name, period_type=period_type, period_start=start, period_end=end,
        parent=parent, revenue_target=target, currency=account.currency, goals=goals, revenue_basis=basis,
        business_unit=account.business_unit), owner)


def _objective(plan, by, name, metric, target, kind="", due=None, **scope) -> Objective:
    return services.create_objective(Objective(
        plan=plan, name=name, metric=metric, activity_kind=kind, target=Decimal(target), due_date=due, **scope), by)


def _visits(account, owner, objective, days: list[date], kind=Activity.Kind.VISIT, subject="Visita técnica a faena"):
    for day in days:
        # At ten in the morning, or earlier today when the demo is loaded before ten: a done visit is never ahead.
        occurred_at = min(datetime.combine(day, time(10), tzinfo=SANTIAGO), clock.now())
        log_activity(Activity(
            account=account, owner=owner, kind=kind, status=Activity.Status.DONE, subject=subject,
            occurred_at=occurred_at, plan=objective.plan, objective=objective), by=owner)


def _target(account, start: date, end: date, floor: Decimal) -> Decimal:
    """A stretch target: twice what the account won from `start` to `end`, never below `floor`, in millions."""
    won = Opportunity.objects.filter(account=account, status=Opportunity.Status.WON, closed_on__gte=start,
                                     closed_on__lte=end, currency=account.currency).aggregate(total=Sum("amount"))
    amount = max((won["total"] or Decimal(0)) * 2, floor)
    return Decimal(math.ceil(amount / 1_000_000) * 1_000_000)


def build_plans(users: dict[str, User]) -> int:
    """The demo plans; the number of plans made."""
    today = clock.today()
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
    made = 0
    rep, manager = users["vendedor.norte"], users["gerente.norte"]

    minera = _account("Minera Atacama SpA")
    if minera is not None:
        goals = ("Consolidar el contrato de repuestos de chancado y entrar con el servicio de mantención "
                 "predictiva en la faena Escondida Norte. Mantener una visita técnica mensual.")
        annual = _plan(minera, rep, f"Plan de cuenta Minera Atacama {today.year}", year_start, year_end,
                       _target(minera, year_start, year_end, Decimal(800_000_000)), goals=goals)
        current_start, current_end = _quarter(today)
        previous_start, previous_end = _previous_quarter(today)
        if previous_start < year_start:  # the first quarter: the next one instead
            previous_start, previous_end = _quarter(current_end + timedelta(days=1))
        quarters = sorted([(previous_start, previous_end), (current_start, current_end)])
        subs = [_plan(minera, rep, f"Minera Atacama T{(start.month - 1) // 3 + 1} {today.year}", start, end,
                      _target(minera, start, end, Decimal(200_000_000)), BusinessPlan.PeriodType.QUARTERLY, annual)
                for start, end in quarters]
        current = next(sub for sub in subs if sub.period_start <= today <= sub.period_end)
        # On track: as many visits done as the share of the quarter gone by asks for.
        visits = _objective(current, rep, "Visitas técnicas a faena en el trimestre", Objective.Metric.ACTIVITIES, 4,
                            kind=Activity.Kind.VISIT)
        done = max(1, math.ceil(4 * elapsed_share(current.period_start, current.period_end, today)))
        _visits(minera, rep, visits, [max(current.period_start, today - timedelta(days=7 * n)) for n in range(done)])
        # At risk: one meeting with operations management of the twelve planned for the year.
        meetings = _objective(annual, rep, "Reuniones con gerencia de operaciones", Objective.Metric.ACTIVITIES, 12,
                              kind=Activity.Kind.MEETING)
        _visits(minera, rep, meetings, [year_start + timedelta(days=20)], kind=Activity.Kind.MEETING,
                subject="Reunión con gerencia de operaciones")
        _objective(annual, rep, "Dos nuevos contactos de nivel ejecutivo", Objective.Metric.EXECUTIVE_CONTACTS, 2)
        _objective(annual, rep, "Ingresos por servicio de mantención", Objective.Metric.REVENUE_WON, 150_000_000)
        for plan in (annual, *subs):
            services.submit_plan(plan, rep, "Plan alineado con el presupuesto de la faena.")
            services.approve_plan(plan, manager, "Aprobado. Prioridad: mantención predictiva.")
        # Last year's plan, approved and expired when its year ended.
        last = _plan(minera, rep, f"Plan de cuenta Minera Atacama {today.year - 1}", date(today.year - 1, 1, 1),
                     date(today.year - 1, 12, 31), Decimal(600_000_000))
        services.submit_plan(last, rep)
        services.approve_plan(last, manager)
        services.expire_plan(last, manager, "El período terminó.")
        made += 4

    servicios = _account("Atacama Servicios Mineros Ltda.")
    if servicios is not None:  # waiting for gerente.norte's approval
        waiting = _plan(servicios, rep, f"Plan Atacama Servicios Mineros {today.year}", year_start, year_end,
                        _target(servicios, year_start, year_end, Decimal(120_000_000)),
                        goals="Cerrar el contrato marco de servicios de perforación.")
        _objective(waiting, rep, "Oportunidades nuevas en el año", Objective.Metric.OPPORTUNITIES_CREATED, 4)
        services.submit_plan(waiting, rep, "Para su revisión.")
        made += 1

    pesquera = _account("Pesquera Austral Ltda.")
    if pesquera is not None:  # returned to draft with the manager's comment
        returned = _plan(pesquera, users["vendedor.sur"], f"Plan Pesquera Austral {today.year}", year_start, year_end,
                         _target(pesquera, year_start, year_end, Decimal(90_000_000)))
        services.submit_plan(returned, users["vendedor.sur"])
        services.return_plan(returned, users["gerente.sur"], "Agregue objetivos de visitas a las plantas de proceso.")
        made += 1

    maipo = _account("Supermercados del Maipo S.A.")
    if maipo is not None:  # a draft
        _plan(maipo, users["vendedora.centro"], f"Plan Súper Maipo {today.year}", year_start, year_end,
              _target(maipo, year_start, year_end, Decimal(60_000_000)), goals="Entrar a las 12 tiendas nuevas.")
        made += 1

    _global_objectives(today)
    return made


def _global_objectives(today: date) -> None:
    quarter_start, quarter_end = _quarter(today)
    year = {"period_start": date(today.year, 1, 1), "period_end": date(today.year, 12, 31)}
    wanted = [
        ("Dos visitas por cliente en el trimestre", Objective.Metric.ACTIVITIES, 2, Activity.Kind.VISIT,
         {"period_start": quarter_start, "period_end": quarter_end, "account_type": Account.Type.CUSTOMER}),
        ("Un contacto de nivel ejecutivo nuevo por cuenta minera", Objective.Metric.EXECUTIVE_CONTACTS, 1, "",
         {**year, "industry": Industry.objects.filter(name="Minería del cobre").first()}),
        ("Tres oportunidades nuevas por cuenta del Norte", Objective.Metric.OPPORTUNITIES_CREATED, 3, "",
         {**year, "territory": Territory.objects.filter(name="Norte").first()}),
    ]
    for name, metric, target, kind, scope in wanted:
        if not Objective.objects.filter(plan=None, name=name).exists():
            create_record(Objective(plan=None, name=name, metric=metric, activity_kind=kind, target=Decimal(target),
                                    **scope), None)
