import os

from django.core.wsgi import get_wsgi_application

from vinculo.core.startup import collect_between_requests, freeze_loaded_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
application = get_wsgi_application()
freeze_loaded_objects()
collect_between_requests()
