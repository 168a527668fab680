from django.core.management.base import BaseCommand, CommandError

from vinculo.core.backup import VENDOR_NAMES, BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Bring back a snapshot written by `vinculo backup`: the database (into the configured one, which must "
        "be of the same kind) and the uploaded files, removing files the snapshot does not have. The archive is "
        "checked in full first. Refuses a database that already holds users unless --force is given. Stop "
        "the app servers and workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive `vinculo backup` wrote.")
        parser.add_argument("--force", "--yes", action="store_true", dest="force",
                            help="Replace a database that already holds data.")

    def handle(self, *args, path, force, **options):
        try:
            outcome = restore_backup(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        removed = f"; {outcome.removed_files} files not in it removed" if outcome.removed_files else ""
        pending = (f" The database lacks {outcome.pending_migrations} migrations of this version: run "
                   f"`vinculo migrate`." if outcome.pending_migrations else "")
        self.stdout.write(f"Restored {outcome.path} (taken {outcome.created_at}): the {VENDOR_NAMES[outcome.vendor]} database "
                          f"and {outcome.files} files{removed}.{pending}")
