from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Partnership CMS pages"

    def ready(self):
        from . import signals

        signals.connect()
