"""Every write of the data exchange: catalogue, agreements and their approvals, exchange jobs and
the signed message log, delivery. Split by subject; import from here."""

from exchange.services.agreements import (
    agreement_approve,
    agreement_create,
    agreement_in_force,
    agreement_reject,
    agreement_revoke,
    agreement_submit,
    agreements_refresh,
)
from exchange.services.catalogue import dataset_define
from exchange.services.delivery import entry_fetch, entry_push
from exchange.services.jobs import exchange_job_request, exchange_job_run, exchange_jobs_requeue_stalled
from exchange.services.refusal import ExchangeRefused

__all__ = [
    "ExchangeRefused",
    "agreement_approve",
    "agreement_create",
    "agreement_in_force",
    "agreement_reject",
    "agreement_revoke",
    "agreement_submit",
    "agreements_refresh",
    "dataset_define",
    "entry_fetch",
    "entry_push",
    "exchange_job_request",
    "exchange_job_run",
    "exchange_jobs_requeue_stalled",
]
