"""Celery tasks of the programme. Thin: they take ids, call a service and are safe to run twice.

No beat entry: a round is computed when it opens and when a district leader asks for a recompute,
not on a schedule."""

from celery import shared_task


@shared_task(soft_time_limit=300, time_limit=360)
def round_compute_task(round_id: int) -> int:
    """Compute an open round's computed indicators for every community of its district (programme
    .assessment.round_compute); a closed or deleted round is left alone. How many values it wrote."""
    from programme.assessment import round_compute
    from programme.models import AssessmentRound

    round_ = AssessmentRound.objects.filter(pk=round_id, status=AssessmentRound.Status.OPEN).first()
    if round_ is None:
        return 0
    return round_compute(round=round_)
