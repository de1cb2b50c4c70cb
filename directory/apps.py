from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "directory"
    verbose_name = _("Peer support directory")  # the admin's heading for our models

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        import directory.meeting_guide.export  # noqa: F401 - registers /meetings.json's FeedFile
        import peersupport.startup  # noqa: F401 - registers the production start check
        from directory.db import enable_sqlite_pragmas
        from directory.search.triggers import recreate_after_migrate

        connection_created.connect(enable_sqlite_pragmas)
        post_migrate.connect(recreate_after_migrate, sender=self)
