from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    name = "partnership"
    verbose_name = "Partnership records"

    def ready(self):
        from .signals import connect_record_version

        connect_record_version()
