from django.core.management.base import BaseCommand

from vinculo.demo.builders import SIZES, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo organisation, its users (password “demo”) and companies. Safe to run again: "
        "once the database has accounts nothing changes. `--size large` builds the benchmark dataset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument(
            "--reset", action="store_true", help="Delete every account and contact first, then load the demo data."
        )

    def handle(self, *args, size, reset, **options):
        result = load_demo(SIZES[size], reset=reset)
        self.stdout.write(result.summary(size))
