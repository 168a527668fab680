"""The plan page's chart of revenue actual against target, drawn on the server as SVG bars: the plan and
each sub-plan, the target as an outline, the actual filled, a marker for the time elapsed."""

from dataclasses import dataclass
from decimal import Decimal

from vinculo.core import clock

from .progress import Progress, elapsed_share

WIDTH = 100  # the bars' view box is 100 wide; each row 10 high


@dataclass
class Row:
    label: str
    actual: Decimal | None
    target: Decimal
    currency: str
    y: int
    target_width: float
    actual_width: float
    elapsed_x: float
    state: str


@dataclass
class Chart:
    rows: list[Row]

    @property
    def height(self) -> int:
        return max(1, len(self.rows)) * 12


def revenue_chart(plan, revenue: Progress, sub_plans) -> Chart:
    """The chart's rows, scaled to the largest target or actual among them; sub-plans carry `revenue`."""
    today = clock.today()
    entries = [(plan, revenue), *[(sub_plan, sub_plan.revenue) for sub_plan in sub_plans]]
    largest = max([max(found.target, found.value or 0) for _, found in entries] + [Decimal(1)])
    rows = []
    for index, (item, found) in enumerate(entries):
        target_width = float(found.target / largest * WIDTH)
        rows.append(Row(
            str(item), found.value, found.target, found.currency, index * 12,
            round(target_width, 2), round(float((found.value or 0) / largest * WIDTH), 2),
            round(target_width * float(elapsed_share(item.period_start, item.period_end, today)), 2), found.state,
        ))
    return Chart(rows)
