from django.core.management.base import BaseCommand, CommandError

from workforce.assessment import assessment_run, last_year, year_valid


class Command(BaseCommand):
    help = (
        "Compute or refresh every active worker's draft assessment for a year (last year by default); "
        "final assessments are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="the year to assess (default: last year)")

    def handle(self, *args, year=None, **options):
        year = last_year() if year is None else year
        if not year_valid(year):
            raise CommandError(f"--year must be from 2000 to this year, not {year}")
        drafts = assessment_run(year=year)
        self.stdout.write(self.style.SUCCESS(f"{drafts} draft assessment(s) for {year} computed"))
