import os

from django.core.wsgi import get_wsgi_application

from portal.startup import exit_on_configuration_error, freeze_loaded_app

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
exit_on_configuration_error()
application = get_wsgi_application()
freeze_loaded_app()
