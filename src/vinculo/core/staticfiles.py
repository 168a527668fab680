"""The static files storage of the serving profile (settings.STORAGES["staticfiles"] with DEBUG off)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage: `collectstatic` (run by `vinculo serve`) writes each file under a name with its
    content hash, compressed, and a manifest; pages then name the hashed files, which browsers cache for
    ever. A process that renders pages without collecting first (the benchmark in process, the tests'
    helper processes) finds no manifest at all and names the files plainly, as with DEBUG on, instead of
    failing on every page. With a manifest, a file missing from it is still an error (manifest_strict)."""

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        return super().stored_name(name)
