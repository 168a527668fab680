"""Snapshots of a whole site — the database and the uploaded files — in one .tar.gz, and back.

An archive holds, in this order:

    database.sqlite3 or database.pgdump   the database: SQLite's online backup API (a consistent copy while
                                          the site runs, WAL mode included) or `pg_dump --format=custom`
    files/<name>                          every file of the default storage, under its storage name
    manifest.json                         format, Vínculo version, database vendor, tables and applied
                                          migrations, creation time, and the size and SHA-256 of each part

The database is copied before the files: a file uploaded meanwhile is kept without a row pointing at it,
which is harmless; files are never changed in place (each upload gets a new name).
"""

import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from vinculo.core import clock
from vinculo.core.access import forget_org_defaults

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """An expected failure (missing file, wrong database, damaged archive…), with a message for the operator."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    vendor: str
    database_bytes: int
    files: int
    files_bytes: int
    created_at: str = ""
    removed_files: int = 0
    # Migrations this code has that the restored database lacks (`vinculo migrate` applies them).
    pending_migrations: int = 0


def vinculo_version() -> str:
    try:
        return metadata.version("vinculo")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor(connection) -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL; this site runs on {connection.vendor}.")
    return connection.vendor


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        return _sha256(stream)


# --- The uploaded files, through the storage API (a local folder, or object storage) ----------------------

def storage_files(storage=None) -> list[str]:
    """Every file name in the storage, sorted (one listing per folder)."""
    storage = storage or default_storage

    def walk(folder: str):
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:  # MEDIA_ROOT not created yet: nothing uploaded
            return
        for name in files:
            yield posixpath.join(folder, name) if folder else name
        for name in folders:
            yield from walk(posixpath.join(folder, name) if folder else name)

    return sorted(walk(""))


def storage_checksum(name: str, storage=None) -> str:
    with (storage or default_storage).open(name, "rb") as stream:
        return _sha256(stream)


def _copy(source, target) -> str:
    """Copy one open file into another, chunk by chunk; returns the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


def _safe_file_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and all(p not in ("", ".", "..") for p in parts)


# --- Backup -----------------------------------------------------------------------------------------------

def archive_name() -> str:
    return f"vinculo-{clock.now():%Y%m%d-%H%M%S}.tar.gz"


def create_backup(target: Path, using: str = DEFAULT_DB_ALIAS) -> Outcome:
    """Write a snapshot of the database and the uploaded files to `target` (a new .tar.gz file)."""
    connection = connections[using]
    vendor = _vendor(connection)
    target = Path(target).resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; name a new file or a folder.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if isinstance(default_storage, FileSystemStorage) and target.is_relative_to(Path(default_storage.location).resolve()):
        # A restore removes every file of the storage the snapshot lacks: the archive itself among them.
        raise BackupError("Write the backup outside the uploaded files' folder (MEDIA_ROOT).")
    created_at = clock.now()
    connection.ensure_connection()
    migrations = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
    tables = sorted(connection.introspection.table_names())
    partial = target.with_name(target.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".vinculo-backup-") as work:
            database = Path(work) / DATABASE_FILES[vendor]
            _dump_database(connection, vendor, database)
            entries = []
            with tarfile.open(partial, "w:gz") as archive:
                archive.add(database, arcname=database.name)
                for name in storage_files():
                    entries.append(_add_stored_file(archive, name))
                manifest = {
                    "format": FORMAT,
                    "vinculo_version": vinculo_version(),
                    "created_at": created_at.isoformat(timespec="seconds"),
                    "database": {
                        "vendor": vendor, "file": database.name, "size": database.stat().st_size,
                        "sha256": _sha256_of(database), "tables": tables, "migrations": migrations,
                    },
                    "files": entries,
                }
                body = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(created_at.timestamp()), 0o644
                archive.addfile(info, io.BytesIO(body))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(path=target, vendor=vendor, database_bytes=manifest["database"]["size"], files=len(entries),
                   files_bytes=sum(entry["size"] for entry in entries), created_at=manifest["created_at"])


def _add_stored_file(archive: tarfile.TarFile, name: str) -> dict:
    # Copied to a spooled file first: the tar header needs the size, and the copy is what gets hashed.
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as copy, default_storage.open(name, "rb") as stream:
        checksum = _copy(stream, copy)
        size = copy.tell()
        copy.seek(0)
        info = tarfile.TarInfo(FILES + name)
        info.size, info.mode = size, 0o644
        try:
            info.mtime = int(default_storage.get_modified_time(name).timestamp())
        except (NotImplementedError, OSError):
            info.mtime = int(clock.now().timestamp())
        archive.addfile(info, copy)
    return {"name": name, "size": size, "sha256": checksum}


def _dump_database(connection, vendor: str, out: Path) -> None:
    if vendor == "sqlite":
        if connection.in_atomic_block:
            raise BackupError("Back up outside a transaction.")
        with closing(sqlite3.connect(out)) as copy:
            # One step (all pages at once) under one read transaction: a consistent copy while others write.
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, without -wal
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"The copy of the database failed its integrity check: {problem}")
    else:
        _run_pg(connection, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--no-comments",
                                        f"--file={out}"])


def _run_pg(connection, program: str, options: list[str]) -> None:
    """Run a PostgreSQL client program on the site's database (the connection settings Django uses)."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed or not on the PATH; it comes with PostgreSQL's client "
                          f"tools (Debian/Ubuntu: apt-get install postgresql-client), in a version at least "
                          f"that of the server.")
    settings_dict = connection.settings_dict
    _args, env = connection.client.settings_to_cmd_args_env(settings_dict, [])
    command = [executable, *options]
    if settings_dict.get("USER"):
        command.append(f"--username={settings_dict['USER']}")
    if settings_dict.get("HOST"):
        command.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        command.append(f"--port={settings_dict['PORT']}")
    command.append(f"--dbname={settings_dict.get('NAME') or 'postgres'}")
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip() or done.returncode}")


# --- Restore ----------------------------------------------------------------------------------------------

def restore_backup(source: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Outcome:
    """Replace the database and the uploaded files by the snapshot in `source`. Without `force`, refuse
    when the database holds users. The archive is read and checked in full before anything changes."""
    connection = connections[using]
    vendor = _vendor(connection)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    with tempfile.TemporaryDirectory(prefix="vinculo-restore-") as work:
        manifest = _unpack(source, Path(work))
        snapshot_vendor = manifest["database"]["vendor"]
        if snapshot_vendor != vendor:
            raise BackupError(
                f"{source} holds a {VENDOR_NAMES.get(snapshot_vendor, snapshot_vendor)} database and this site runs "
                f"on {VENDOR_NAMES[vendor]}: restore it on a site configured for {VENDOR_NAMES.get(snapshot_vendor, snapshot_vendor)} "
                f"(DATABASE_URL).")
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        known_apps = {app for app, _name in known}
        snapshot_migrations = {tuple(label.split(".", 1)) for label in manifest["database"]["migrations"]}
        unknown = sorted(".".join(key) for key in snapshot_migrations - known if key[0] in known_apps)
        if unknown:
            raise BackupError(f"{source} comes from a newer Vínculo (its database has migrations this version "
                              f"lacks: {', '.join(unknown[:5])}); install that version or a later one first.")
        if not force:
            users = _user_count(connection)
            if users:
                raise BackupError(f"The database is not empty ({users} users): a restore replaces all its data "
                                  f"and the uploaded files. Run again with --force to do so.")
        if connection.in_atomic_block:
            raise BackupError("Restore outside a transaction.")
        _load_database(connection, vendor, Path(work) / manifest["database"]["file"], manifest["database"]["tables"])
        forget_org_defaults()  # the shared cache may hold the replaced database's org-wide defaults
        removed = _restore_files(Path(work), manifest["files"])
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    return Outcome(path=source, vendor=vendor, database_bytes=manifest["database"]["size"],
                   files=len(manifest["files"]), files_bytes=sum(entry["size"] for entry in manifest["files"]),
                   created_at=manifest["created_at"], removed_files=removed, pending_migrations=pending)


def _user_count(connection) -> int:
    user_model = get_user_model()
    if user_model._meta.db_table not in connection.introspection.table_names():
        return 0  # a database not migrated yet
    return user_model._base_manager.using(connection.alias).count()


def _damaged(source: Path, why: str) -> BackupError:
    return BackupError(f"{source} is not a readable Vínculo backup ({why}).")


def _unpack(source: Path, work: Path) -> dict:
    """Extract the archive into `work` (checking every name) and return its manifest, once every part's
    size and checksum match it."""
    found = {}
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                name = member.name
                allowed = name in (MANIFEST, *DATABASE_FILES.values()) or (
                    name.startswith(FILES) and _safe_file_name(name[len(FILES):]))
                if not member.isfile() or not allowed:
                    raise _damaged(source, f"unexpected entry {name!r}")
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as out:
                    found[name] = (member.size, _copy(archive.extractfile(member), out))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError) and not source.exists():
            raise BackupError(f"There is no backup file at {source}.") from exc
        raise _damaged(source, str(exc) or type(exc).__name__) from exc
    if MANIFEST not in found:
        raise _damaged(source, "no manifest.json: truncated, or not made by `vinculo backup`")
    try:
        manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
        database = manifest["database"]
        lacking = ({"format", "created_at", "files"} - manifest.keys()) | ({"vendor", "tables", "migrations"}
                                                                           - database.keys())
        if lacking:
            raise KeyError(", ".join(sorted(lacking)))
        expected = {database["file"]: (database["size"], database["sha256"])}
        expected.update({FILES + entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(source, f"its manifest is unreadable: {exc!r}") from exc
    if manifest["format"] != FORMAT:
        raise BackupError(f"{source} is in backup format {manifest['format']}; this Vínculo reads format {FORMAT}.")
    parts = {name: value for name, value in found.items() if name != MANIFEST}
    for name in sorted(expected.keys() | parts.keys()):
        if name not in parts:
            raise _damaged(source, f"{name} is missing")
        if name not in expected:
            raise _damaged(source, f"{name} is not in its manifest")
        if parts[name] != tuple(expected[name]):
            raise _damaged(source, f"{name} does not match its checksum")
    return manifest


def _load_database(connection, vendor: str, dump: Path, snapshot_tables: list[str]) -> None:
    if vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(dump)) as snapshot:
            # Pages are copied into the open database under its write lock: all or nothing.
            snapshot.backup(connection.connection)
        return
    # pg_restore drops and recreates what the dump holds, in one transaction; this connection must not hold
    # locks on those tables meanwhile.
    connection.close()
    _run_pg(connection, "pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                                       "--single-transaction", "--exit-on-error", str(dump)])
    # Tables made by migrations newer than the snapshot would stop `migrate` from creating them again.
    extra = sorted(set(connection.introspection.table_names()) - set(snapshot_tables))
    if extra:
        with connection.cursor() as cursor:
            for table in extra:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


def _restore_files(work: Path, entries: list[dict]) -> int:
    """Make the storage hold exactly the snapshot's files; returns how many files were removed."""
    wanted = {entry["name"]: entry["sha256"] for entry in entries}
    present = set(storage_files())
    removed = 0
    for name in sorted(present - wanted.keys()):
        default_storage.delete(name)
        removed += 1
    for name, checksum in wanted.items():
        if name in present:
            if storage_checksum(name) == checksum:
                continue
            default_storage.delete(name)
        with open(work / (FILES + name), "rb") as stream:
            saved = default_storage.save(name, File(stream, name=posixpath.basename(name)))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; the restore is incomplete.")
    return removed
