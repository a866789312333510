from django.core.management.base import BaseCommand

from workforce.services import level_proposals_run


class Command(BaseCommand):
    help = "Propose a level step for every worker whose level by the rules is above their level, and list them."

    def handle(self, *args, **options):
        proposals = level_proposals_run()
        for proposal in sorted(proposals, key=lambda p: p.profile_id):
            self.stdout.write(f"{proposal.profile_id}\t{proposal.current_level} -> {proposal.proposed_level}")
        self.stdout.write(self.style.SUCCESS(f"{len(proposals)} worker(s) due for a level step"))
