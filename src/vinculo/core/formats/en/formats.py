# English: ISO dates, 2026-12-31, shown and typed alike (a team in Chile or Spain reading English would take
# 03/04/2026 for the 3rd of April; nobody misreads 2026-04-03). Times on the 24-hour clock.
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
