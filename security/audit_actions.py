"""Every audit action code the portal records, with a readable name.

The one place the auditor's desk, its action filter and the admin read an action's label from.
A code recorded by code that has no entry here still shows, as the raw code; the test
security/tests/test_audit_actions.py fails when a literal code in the source has none.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # Signing in and accounts
    "auth.sign_in": _("Signed in"),
    "auth.sign_in_failed": _("Sign-in failed"),
    "auth.sign_in_throttled": _("Sign-in refused after too many attempts"),
    "auth.sign_out": _("Signed out"),
    "auth.sign_in_unlock": _("Sign-in unlocked"),
    "auth.password_reset": _("Password reset"),
    "auth.session_expired": _("Session ended after being idle"),
    "mfa.enrol": _("Two-step verification set up"),
    "mfa.remove": _("Two-step verification removed"),
    "mfa.reset": _("Two-step verification reset by an administrator"),
    "mfa.recovery_codes_regenerate": _("Recovery codes regenerated"),
    "mfa.code_failed": _("Wrong verification code"),
    "user.create": _("User created"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
    "user.change": _("User changed in the admin"),
    "user.privileges_change": _("User's privileges changed in the admin"),
    "user.password_set_by_admin": _("Password set by an administrator"),
    "account.delete": _("Account deleted"),
    "notification_preference.update": _("Notification settings changed"),
    "area_alert.follow": _("Area followed for alerts"),
    "area_alert.unfollow": _("Area no longer followed for alerts"),
    "area_alert.settings_update": _("Area alert settings changed"),
    # Security
    "security.alert": _("Security alert raised"),
    "security.alert_acknowledge": _("Security alert acknowledged"),
    "audit.chain_keyed": _("Log hashes keyed from here on"),
    "audit.chain_restored": _("Log restored from a backup"),
    "audit.chain_archived": _("Older log events archived"),
    "api_key.create": _("API key created"),
    "api_key.revoke": _("API key revoked"),
    "api.call": _("API call"),
    # Residents
    "household.create": _("Household registered"),
    "resident.register": _("Resident registered"),
    "resident.lookup": _("Resident looked up"),
    "resident.reveal": _("Resident's full personal data revealed"),
    "resident.view": _("Resident's profile viewed"),
    "data.export_own": _("Resident downloaded their own data"),
    "consent.give": _("Consent given"),
    "consent.withdraw": _("Consent withdrawn"),
    "correction.request": _("Correction requested"),
    "correction.view": _("Correction request viewed"),
    "correction.apply": _("Correction made"),
    "correction.refuse": _("Correction refused"),
    "verification.request": _("Asked to be verified as a resident in person"),
    "verification.code_approve": _("Verified as a resident by household number"),
    "verification.code_refuse": _("Household number and ID-card number did not match"),
    "verification.code_limited": _("Household-number try refused: 5 tries a day used"),
    "verification.approve": _("Residency verified by the community"),
    "verification.refuse": _("Residency verification refused"),
    "verification.end": _("Residency verification ended (moved out)"),
    # Notices (通知公告)
    "notice.create": _("Notice drafted"),
    "notice.update": _("Notice draft changed"),
    "notice.submit": _("Notice submitted for the community's approval"),
    "notice.publish": _("Notice published"),
    "notice.approve": _("Notice approved and published"),
    "notice.refuse": _("Notice refused"),
    "notice.withdraw": _("Notice withdrawn"),
    "notice.informed": _("Resident told of an urgent notice in person or by phone"),
    # Service requests: filing, steps (request.<status>) and the rest
    "request.file": _("Request filed"),
    "request.accepted": _("Request accepted"),
    "request.rejected": _("Request rejected"),
    "request.assigned": _("Request assigned (or reopened)"),
    "request.in_progress": _("Request work started"),
    "request.resolved": _("Request resolved"),
    "request.closed": _("Request closed"),
    "request.submitted": _("Request set back to submitted"),
    "request.escalate": _("Request escalated"),
    "request.comment": _("Comment added to a request"),
    "request.note": _("Internal note added to a request"),
    "request.photos": _("Photos added to a request"),
    "request.rate": _("Request rated"),
    "request.support": _("Request supported (me too)"),
    "request.public_text_hide": _("Request description hidden from the public pages"),
    "request.event_hide": _("Request message hidden from the public pages"),
    "request.photos_public": _("Photos chosen for a request's public page"),
    # Moderation
    "moderation.report": _("Content reported as inappropriate"),
    "moderation.hide": _("Reported content hidden by a moderator"),
    "moderation.dismiss": _("Report dismissed by a moderator"),
    # Meetings and events (议事会、社区活动)
    "event.create": _("Event published"),
    "event.update": _("Event changed"),
    "event.cancel": _("Event cancelled"),
    "event.signup": _("Signed up for an event"),
    "event.signup_cancel": _("Event sign-up cancelled"),
    "event.check_in": _("Checked in at an event"),
    "event.minutes_publish": _("Event minutes published"),
    "event.remind": _("Event reminders sent"),
    # Partners
    "webhook.register": _("Webhook registered"),
    "webhook.deactivate": _("Webhook deactivated"),
    "webhook.delivery_replay": _("Webhook delivery replayed"),
    # Dashboards
    "dashboards.export": _("Dashboard data exported"),
    "dashboards.display_link_create": _("Wall display link created"),
    "dashboards.display_link_revoke": _("Wall display link revoked"),
    "dashboards.display_link_use": _("Wall display link used"),
    # Data exchange
    "exchange.dataset.define": _("Dataset defined"),
    "exchange.agreement.create": _("Sharing agreement drafted"),
    "exchange.agreement.submit": _("Sharing agreement submitted"),
    "exchange.agreement.approve": _("Sharing agreement approved"),
    "exchange.agreement.reject": _("Sharing agreement rejected"),
    "exchange.agreement.revoke": _("Sharing agreement revoked"),
    "exchange.agreement.start": _("Sharing agreement in force"),
    "exchange.job.request": _("Exchange job requested"),
    "exchange.job.refused": _("Exchange job refused"),
    "exchange.job.logged": _("Exchange payload logged"),
    "exchange.job.failed": _("Exchange job failed"),
    "exchange.fetch": _("Shared dataset fetched"),
    "exchange.fetch.refused": _("Shared dataset fetch refused"),
    "exchange.push": _("Shared dataset delivered"),
    "exchange.push.failed": _("Shared dataset delivery failed"),
    "exchange.push.refused": _("Shared dataset delivery refused"),
    "exchange.import.create": _("Import received"),
    "exchange.import.start": _("Import started"),
    "exchange.import.resume": _("Import resumed"),
    "exchange.import.finish": _("Import finished"),
    "exchange.import.refused": _("Import refused"),
    "exchange.signing_key.create": _("Exchange signing key created"),
    # Polls (民意调查): a vote is recorded without its choices
    "poll.create": _("Poll drafted"),
    "poll.update": _("Poll draft changed"),
    "poll.question_add": _("Question added to a poll draft"),
    "poll.question_remove": _("Question removed from a poll draft"),
    "poll.close_early": _("Poll closed early"),
    "poll.vote": _("Voted in a poll"),
    "poll.results_export": _("Poll results exported"),
    "proposal.create": _("Proposal published"),
    "proposal.support": _("Proposal supported"),
    "proposal.support_withdraw": _("Support for a proposal withdrawn"),
    "proposal.threshold_reached": _("Proposal reached its support threshold"),
    "proposal.answer": _("Proposal answered"),
    "proposal.start": _("Proposal put in progress"),
    "proposal.done": _("Proposal marked done"),
    "proposal.overdue": _("Proposal not answered in time"),
    "proposal.threshold_set": _("Proposal support threshold set"),
    # Demo data
    "demo.requests_seed": _("Demo requests generated"),
    "demo.history_seed": _("Demo history generated"),
    # Volunteering and points (志愿服务、积分)
    "volunteer.activity_create": _("Volunteer activity posted"),
    "volunteer.activity_cancel": _("Volunteer activity cancelled"),
    "volunteer.sign_up": _("Signed up for a volunteer activity"),
    "volunteer.sign_up_cancel": _("Volunteer sign-up cancelled"),
    "volunteer.hours_confirm": _("Volunteer hours confirmed and points earned"),
    "points.adjust": _("Points adjusted by staff"),
    "points.item_create": _("Redemption item added"),
    "points.item_update": _("Redemption item changed"),
    "points.redeem": _("Points redeemed for an item"),
    "points.hand_over": _("Redeemed item handed over"),
}


def action_label(code: str) -> str:
    """The readable name of an action; an unknown code is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    """(code, label) for every known action, in the registry's order, for a filter's select."""
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]
