import os

from django.core.wsgi import get_wsgi_application

from vinculo.core.startup import prepare_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
application = get_wsgi_application()
prepare_to_serve()
