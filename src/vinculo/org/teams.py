"""The sections of the sales team pages, registered by the apps whose records a team works on (its accounts,
its open deals). Each section's `load(team, user, currency)` returns what its template shows on the team's
page; `options["annotate_list"](teams, user, currency)` sets its figures on each team of the list. Its
template renders the part asked for: "header" and "cells" (the list's columns), "stats" and "main" (the
team's page)."""

from vinculo.core.sections import Sections

RECORDS_SHOWN = 50

sections = Sections("sales team pages")
