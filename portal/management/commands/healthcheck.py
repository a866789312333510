import json

from django.core.management.base import BaseCommand, CommandError

from portal.health import health_report


class Command(BaseCommand):
    help = "Print the health of the database and Redis as JSON; exit status 1 when one is down."

    def handle(self, *args, **options):
        healthy, report = health_report(include_errors=True)
        self.stdout.write(json.dumps(report, ensure_ascii=False))
        if not healthy:
            raise CommandError(f"Unhealthy: {', '.join(report['down'])} down.")
