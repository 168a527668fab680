"""A record type added the way a new module adds one: this app alone defines it and registers its account-page
section, search entry and recycle-bin entry from its AppConfig; no other app names it. Installed only by
`settings.py` beside it, in the subprocess of core/tests/test_new_record_type.py."""
