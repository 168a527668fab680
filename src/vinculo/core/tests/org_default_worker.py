"""A stand-in for one web worker, in a process of its own, for test_org_default_workers.py.

Started with DATABASE_URL naming a database file and the site's own settings (so the cache is the shared
database cache, as in production). Reads commands from stdin, one a line, and answers one line each:

    get <path> <username>          → the status code of GET <path> as that user (through the middleware)
    set <record_type> <level>      → "ok" after saving that org-wide default, as the admin does
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from vinculo.org.models import OrgDefault, User

    setup_test_environment()
    call_command("createcachetable", verbosity=0)
    client = Client()
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "get":
            path, username = args
            client.force_login(User.objects.get(username=username))
            print(client.get(path).status_code, flush=True)
        elif command == "set":
            record_type, level = args
            default = OrgDefault.objects.get(record_type=record_type)
            default.access = level
            default.save()
            print("ok", flush=True)


if __name__ == "__main__":
    main()
