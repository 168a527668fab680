from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vinculo.core.backup import VENDOR_NAMES, BackupError, archive_name, create_backup


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count / 1000:.1f} kB"


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database (SQLite's online backup, or pg_dump on PostgreSQL) and of "
        "the uploaded files to one .tar.gz archive, safe to run while the site is up. PATH is a new file or a "
        "folder; by default var/backups/vinculo-<date>-<time>.tar.gz. `vinculo restore` brings it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="The archive to write, or a folder to write it in.")

    def handle(self, *args, path, **options):
        if path is None:
            target = Path(settings.DATA_DIR) / "backups" / archive_name()
            target.parent.mkdir(parents=True, exist_ok=True)
        else:
            target = Path(path)
            if target.is_dir():
                target = target / archive_name()
        try:
            outcome = create_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written to {outcome.path}: the {VENDOR_NAMES[outcome.vendor]} database ({_size(outcome.database_bytes)}) "
            f"and {outcome.files} files ({_size(outcome.files_bytes)})."
        )
