import os

from django.core.wsgi import get_wsgi_application

from xietong.core.files import restrict_umask

restrict_umask()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
application = get_wsgi_application()
