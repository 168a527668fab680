"""Vínculo's date formats per language (settings.FORMAT_MODULE_PATH), over Django's: what the other
settings leave out comes from django/conf/locale/<language>/formats.py. README "Formats"."""
