"""The Django project. Its Celery app (webapp/celery.py) is loaded when Django
starts (webapp.core's AppConfig.ready) and by `celery -A webapp`, not when the
package is imported: `debrief runs summary` needs neither Django nor Celery,
and importing Celery alone cost it ~0.12 s of every run."""


def __getattr__(name: str):
    if name == "celery_app":
        from webapp.celery import app

        return app
    raise AttributeError(f"module 'webapp' has no attribute {name!r}")


__all__ = ["celery_app"]
