from django.core.management.base import BaseCommand

from directory.services.roles import CURATOR, EDITOR, EDITOR_PERMISSIONS, sync_roles


class Command(BaseCommand):
    help = (
        f"Create or update the {CURATOR!r} and {EDITOR!r} groups and their permissions "
        "(idempotent). Editors are scoped to their organisations through Memberships."
    )

    def handle(self, *args, **options):
        for name, (state, count) in sync_roles().items():
            self.stdout.write(f"{name}: {state} ({count} permissions)")
        self.stdout.write(
            "Editors may change: "
            + ", ".join(m for m, actions in EDITOR_PERMISSIONS.items() if "change" in actions)
            + ". Give staff users a group, and editors a Membership of their organisation."
        )
