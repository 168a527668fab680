"""The contact page's sections, registered by the apps whose records involve a contact: its activities
(activities), the deals it plays a role in (sales), the campaigns that reached it (marketing). Each
section's `load(contact, user)` returns {"rows", "count"} of what the user may see, in a bounded number of
queries; its template shows them as `data`."""

from vinculo.core.sections import Sections

SHOWN = 10

sections = Sections("contact page")
