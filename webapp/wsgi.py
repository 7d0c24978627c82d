import os

from django.core.wsgi import get_wsgi_application

from analysis.registry.warmup import warm_up_litellm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
application = get_wsgi_application()

# Only serving processes load this module: gunicorn's workers (after their fork; we run
# gunicorn without --preload) and `runserver`, so `debrief serve` too, through
# WSGI_APPLICATION. litellm's import and the estimate's tokenizers are paid here, at start,
# instead of by the first cost preview (3-4 s). Not in an AppConfig.ready: every CLI
# command would pay for it too.
warm_up_litellm()
