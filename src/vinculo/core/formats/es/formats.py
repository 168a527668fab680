# Spanish: day first, written 31-12-2026 as Chile writes it (and read also as Spain writes it, 31/12/2026).
# Two-digit years are not read: "31-12-26" is refused rather than guessed. ISO (2026-12-31) is always read
# (Django adds it to every language's input formats).
SHORT_DATE_FORMAT = "d-m-Y"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
DATE_INPUT_FORMATS = ["%d-%m-%Y", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = ["%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S"]
