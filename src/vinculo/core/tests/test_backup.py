"""`vinculo backup` and `vinculo restore`: a snapshot of the database and the uploaded files, and back.

Runs on the suite's database (SQLite, or PostgreSQL when DATABASE_URL says so: pg_dump / pg_restore then).
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from vinculo.accounts.models import Account, DocumentVersion
from vinculo.core import backup
from vinculo.core.access import AccessLevel
from vinculo.demo.builders import SIZES, delete_records, load_demo
from vinculo.org.models import OrgDefault, User
from vinculo.org.tests.factories import UserFactory

SRC = Path(__file__).resolve().parents[3]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table of the database (Django's own, the search index, the cache…), in pk order."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            quoted = connection.ops.quote_name(table)
            key = connection.introspection.get_primary_key_column(cursor, table)
            order = f" ORDER BY {connection.ops.quote_name(key)}" if key else ""
            cursor.execute(f"SELECT * FROM {quoted}{order}")
            rows = [tuple(row) for row in cursor.fetchall()]
            tables[table] = rows if key else sorted(rows, key=repr)
    return tables


def every_file(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def rewrite(archive: Path, change) -> Path:
    """A copy of `archive` whose members {name: bytes} went through `change`."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {member.name: tar.extractfile(member).read() for member in tar}
    change(members)
    copy = archive.with_name("changed-" + archive.name)
    with tarfile.open(copy, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return copy


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def run_restore(path, *options) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *options, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_restore_brings_back_every_row_of_every_table_and_every_file_of_the_demo(media, tmp_path):
    load_demo(SIZES["small"])
    snapshot_tables, snapshot_files = every_table(), every_file(media)
    assert len(snapshot_files) == DocumentVersion.objects.count() > 100
    archive = tmp_path / "site.tar.gz"
    out = io.StringIO()

    call_command("backup", str(archive), stdout=out)

    assert out.getvalue().startswith(f"Backup written to {archive}: the ")
    assert f"and {len(snapshot_files)} files" in out.getvalue()
    # Changes after the snapshot: every account and what hangs from it deleted (their files too), a user
    # added, an org-wide default opened, a file overwritten and one added.
    with transaction.atomic():
        delete_records()
    UserFactory(username="added.later")
    OrgDefault.objects.update_or_create(record_type="accounts.account", defaults={"access": AccessLevel.PUBLIC_READ_WRITE})
    default_storage.save("stray/later.txt", ContentFile(b"not in the snapshot"))
    assert Account.all_objects.count() == 0 and list(every_file(media)) == ["stray/later.txt"]
    changed = next(iter(snapshot_files))
    default_storage.save(changed, ContentFile(b"changed in place"))
    assert every_table() != snapshot_tables

    with pytest.raises(CommandError, match=r"not empty \(13 users\).*--force"):
        run_restore(archive)
    restored = run_restore(archive, "--force")

    assert restored.startswith(f"Restored {archive} (taken ")
    assert f"database and {len(snapshot_files)} files; 1 files not in it removed." in restored
    assert every_table() == snapshot_tables
    assert every_file(media) == snapshot_files
    # The restored database takes new rows (PostgreSQL's sequences came back with it).
    assert UserFactory(username="after.restore").pk > max(row[0] for row in snapshot_tables["org_user"])


@pytest.mark.django_db(transaction=True)
def test_the_manifest_names_the_version_database_migrations_and_each_file_with_its_checksum(media, tmp_path, org):
    default_storage.save("documents/abc/contract.pdf", ContentFile(b"%PDF-1.4 contract"))
    default_storage.save("logo.png", ContentFile(b"\x89PNG"))
    archive = tmp_path / "site.tar.gz"

    call_command("backup", str(archive), stdout=io.StringIO())

    manifest = manifest_of(archive)
    assert manifest["format"] == 1 and manifest["vinculo_version"] == backup.vinculo_version() != ""
    assert manifest["database"]["vendor"] == connection.vendor
    assert "accounts.0001_initial" in manifest["database"]["migrations"]
    assert "accounts_account" in manifest["database"]["tables"]
    assert manifest["files"] == [
        {"name": "documents/abc/contract.pdf", "size": 17,
         "sha256": hashlib.sha256(b"%PDF-1.4 contract").hexdigest()},
        {"name": "logo.png", "size": 4, "sha256": hashlib.sha256(b"\x89PNG").hexdigest()},
    ]
    with tarfile.open(archive, "r:gz") as tar:
        assert sorted(tar.getnames()) == sorted(
            ["manifest.json", backup.DATABASE_FILES[connection.vendor], "files/documents/abc/contract.pdf",
             "files/logo.png"])


@pytest.mark.django_db(transaction=True)
def test_an_empty_database_is_restored_without_force(media, tmp_path, org):
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    snapshot = every_table()
    call_command("flush", interactive=False, verbosity=0)

    run_restore(archive)

    assert every_table() == snapshot


@pytest.mark.django_db(transaction=True)
def test_backup_to_a_folder_names_the_file_and_refuses_to_overwrite_or_to_write_among_the_uploads(media, tmp_path):
    call_command("backup", str(tmp_path), stdout=io.StringIO())
    written = list(tmp_path.glob("vinculo-*.tar.gz"))
    assert len(written) == 1 and not list(tmp_path.glob("*.partial"))

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(written[0]))
    media.mkdir()
    with pytest.raises(CommandError, match=r"outside the uploaded files' folder \(MEDIA_ROOT\)"):
        call_command("backup", str(media / "site.tar.gz"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "no-such-folder" / "site.tar.gz"))


@pytest.mark.django_db(transaction=True)
class TestRefusals:
    """Each refusal names the problem and changes nothing."""

    @pytest.fixture
    def archive(self, media, tmp_path, org):
        default_storage.save("notes/a.txt", ContentFile(b"snapshot"))
        path = tmp_path / "site.tar.gz"
        call_command("backup", str(path), stdout=io.StringIO())
        UserFactory(username="after.snapshot")
        return path

    def refused(self, path, match):
        before, files = every_table(), every_file(Path(default_storage.location))
        with pytest.raises(CommandError, match=match):
            run_restore(path, "--force")
        assert every_table() == before and every_file(Path(default_storage.location)) == files

    def test_a_missing_file(self, archive):
        self.refused(archive.with_name("nothing.tar.gz"), "There is no backup file at .*nothing.tar.gz")

    def test_a_truncated_archive(self, archive):
        truncated = archive.with_name("truncated.tar.gz")
        truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
        self.refused(truncated, "is not a readable Vínculo backup")

    def test_a_file_that_is_no_archive(self, archive):
        archive.write_text("hello")
        self.refused(archive, "is not a readable Vínculo backup")

    def test_a_changed_file(self, archive):
        def change(members):
            members["files/notes/a.txt"] = b"tampered"
        self.refused(rewrite(archive, change), r"files/notes/a.txt does not match its checksum")

    def test_a_changed_database(self, archive):
        name = backup.DATABASE_FILES[connection.vendor]

        def change(members):
            members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])
        self.refused(rewrite(archive, change), f"{name} does not match its checksum")

    def test_a_missing_manifest(self, archive):
        self.refused(rewrite(archive, lambda members: members.pop("manifest.json")), "no manifest.json")

    def test_a_file_outside_the_archive_folders(self, archive):
        def change(members):
            members["files/../../escape.txt"] = b"x"
        self.refused(rewrite(archive, change), r"unexpected entry 'files/../../escape.txt'")

    def test_another_database_vendor(self, archive):
        other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

        def change(members):
            manifest = json.loads(members["manifest.json"])
            manifest["database"]["vendor"] = other
            members["manifest.json"] = json.dumps(manifest).encode()
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        self.refused(rewrite(archive, change),
                     f"holds a {names[other]} database and this site runs on {names[connection.vendor]}")

    def test_a_snapshot_from_a_newer_version(self, archive):
        def change(members):
            manifest = json.loads(members["manifest.json"])
            manifest["database"]["migrations"].append("accounts.9999_future")
            members["manifest.json"] = json.dumps(manifest).encode()
        self.refused(rewrite(archive, change), r"newer Vínculo .*accounts.9999_future")

    def test_a_database_with_data_without_force(self, archive):
        before = every_table()
        with pytest.raises(CommandError, match=rf"The database is not empty \({User.objects.count()} users\)"):
            run_restore(archive)
        assert every_table() == before


def test_without_the_postgresql_client_tools_the_error_says_how_to_install_them(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(backup.BackupError, match=r"pg_dump is not installed .*apt-get install postgresql-client"):
        backup._run_pg(connection, "pg_dump", [])


def test_the_command_line_prints_the_error_without_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "VINCULO_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "vinculo", "restore", str(tmp_path / "missing.tar.gz")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"CommandError: There is no backup file at {tmp_path / 'missing.tar.gz'}." in done.stderr
    assert "Traceback" not in done.stderr
