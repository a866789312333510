"""The indicator system (评价指标体系) and the assessment rounds (考核轮次): the writes.

- **The system** is versioned per district. District leaders start a new version as a draft (a copy
  of the one in force, or `default_indicators()` the first time), add, change and remove its indicators,
  and publish it: the weights must add up to 100 and every computed indicator must name a known
  computation (programme.indicators.COMPUTATIONS). The draft is then in force and the one before
  retired. Only a draft is ever edited, so a round keeps the version it was assessed by.
- **A round** is opened on the system in force; its computed indicators are computed for every
  community of the district by `round_compute` (a batch run, queued as a Celery task on commit when
  the round opens and when a leader asks for a recompute; audited with actor None and the run named).
- **Reports**: community staff report each reported indicator with evidence (an image or PDF,
  cleaned as a notice's attachment) while the round is open and the due date not passed, and may
  replace it until it is checked; the subdistrict's officers accept or reject it (a reason when
  rejecting); a rejected report may be appealed once with new evidence and grounds, and the
  subdistrict's decision on the appeal is final.
- **Closing** (`round_close`) computes once more, puts the accepted reports' values in, scores every
  community (programme.scoring says how; a reported indicator without an accepted report scores 0),
  ranks them in their subdistrict and the district, and records the change since the district's
  previous closed round.

Every write is audited; bad input raises ValidationError and changes nothing.
"""

from programme.assessment.reports import (
    PDF,
    XLSX,
    report_appeal,
    report_check,
    report_submit,
    round_export,
)
from programme.assessment.rounds import (
    AWAITING_CHECK,
    district_communities,
    round_close,
    round_compute,
    round_open,
    round_recompute,
)
from programme.assessment.systems import (
    DEFAULT_REPORTED,
    INDICATOR_FIELDS,
    default_indicators,
    district_of,
    indicator_remove,
    indicator_save,
    system_draft_discard,
    system_draft_start,
    system_in_force,
    system_problems,
    system_publish,
)

__all__ = [
    "AWAITING_CHECK",
    "DEFAULT_REPORTED",
    "INDICATOR_FIELDS",
    "PDF",
    "XLSX",
    "default_indicators",
    "district_communities",
    "district_of",
    "indicator_remove",
    "indicator_save",
    "report_appeal",
    "report_check",
    "report_submit",
    "round_close",
    "round_compute",
    "round_export",
    "round_open",
    "round_recompute",
    "system_draft_discard",
    "system_draft_start",
    "system_in_force",
    "system_problems",
    "system_publish",
]
