from django.core.management.base import BaseCommand

from vinculo.demo.builders import SIZES, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo organisation, its users (password “demo”), companies and their records. Safe to run "
        "again: what is loaded stays as it is and what is missing is added. `--size large` builds the benchmark "
        "dataset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument(
            "--reset", action="store_true", help="Delete every account, contact and their records first, then load the demo data."
        )

    def handle(self, *args, size, reset, **options):
        progress = self.stdout.write if options["verbosity"] > 1 or size == "large" else None
        result = load_demo(SIZES[size], reset=reset, progress=progress)
        self.stdout.write(result.summary(size))
