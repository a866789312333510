"""Requests that become projects: a community project or proposal (a Proposal) started from a cluster of
similar service requests, and the requests it answers. See docs/participation.md, "Requests that become
projects"."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models.proposals import Proposal
from security.models import User
from services.models import ServiceRequest


class ProposalRequest(models.Model):
    """That `request` is answered by `proposal`: when the proposal is done, the request (if still open)
    is resolved with its outcome and its requester told."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="request_links")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal_id", "id"]
        verbose_name = _("request answered by a proposal")
        verbose_name_plural = _("requests answered by proposals")
        constraints = [models.UniqueConstraint(fields=["proposal", "request"], name="proposal_request_once")]
        # "Is this request already part of a live project?" (clusters, the request page).
        indexes = [models.Index(fields=["request"], name="proposal_request_request_idx")]

    def __str__(self) -> str:
        return f"{self.proposal_id} · {self.request_id}"
