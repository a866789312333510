"""Residents taking part, one module per feature; every model is importable from here, as Django expects."""

from participation.models.events import (
    Event,
    EventKind,
    EventSignup,
    EventSignupStatus,
    EventStatus,
)
from participation.models.moderation import (
    ModerationReport,
)
from participation.models.notices import (
    Notice,
    NoticeAudience,
    NoticeCategory,
    NoticeInformed,
    NoticeReceipt,
    NoticeStatus,
)
from participation.models.polls import (
    Ballot,
    BallotAnswer,
    Poll,
    PollOption,
    PollQuestion,
    PollQuestionKind,
    PollResultsShown,
    PollVoter,
)
from participation.models.projects import ProposalRequest
from participation.models.proposals import (
    CommunityProposalSetting,
    Proposal,
    ProposalCategory,
    ProposalComment,
    ProposalFollow,
    ProposalPhoto,
    ProposalPhotoStage,
    ProposalStatus,
    ProposalSupport,
    ProposalUpdate,
)
from participation.models.volunteering import (
    PointsAccount,
    PointsEntry,
    Redemption,
    RedemptionItem,
    VolunteerActivity,
    VolunteerSignup,
)

__all__ = [
    "Ballot",
    "CommunityProposalSetting",
    "BallotAnswer",
    "Event",
    "EventKind",
    "EventSignup",
    "EventSignupStatus",
    "EventStatus",
    "ModerationReport",
    "Notice",
    "NoticeAudience",
    "NoticeCategory",
    "NoticeInformed",
    "NoticeReceipt",
    "NoticeStatus",
    "PointsAccount",
    "PointsEntry",
    "Poll",
    "PollOption",
    "PollQuestion",
    "PollQuestionKind",
    "PollResultsShown",
    "PollVoter",
    "Proposal",
    "ProposalCategory",
    "ProposalComment",
    "ProposalFollow",
    "ProposalPhoto",
    "ProposalPhotoStage",
    "ProposalRequest",
    "ProposalStatus",
    "ProposalSupport",
    "ProposalUpdate",
    "Redemption",
    "RedemptionItem",
    "VolunteerActivity",
    "VolunteerSignup",
]
