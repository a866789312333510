"""The points ledger (积分) and what points buy: every write to a person's points goes through
`_ledger_append`, which locks their PointsAccount row first, so the balance it checks is the balance
it writes after, even when many spends arrive at once.

Redemption is by the resident, online: they see their balance next to what their community offers,
and the item's stock and their points are taken at the moment they choose, so no one walks to the
office for an item that ran out; staff at the counter only hand it over against the pickup code.
(Recording it at the counter instead would leave the balance and the stock unknown until someone
visits, and every elderly resident would have to queue to learn what they can have.)
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area
from participation.models import PointsAccount, PointsEntry, Redemption, RedemptionItem, VolunteerSignup
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import User
from security.roles import PARTICIPATION_ORGANISER_ROLES, REDEMPTION_STAFF_ROLES
from security.scoping import covers_area

MAX_ITEM_COST = 100_000
MAX_ITEM_STOCK = 100_000
MAX_ADJUSTMENT = 10_000
PICKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter


def _account_locked(user: User) -> PointsAccount:
    """The person's account row, created on first use and locked until the transaction ends.

    ON CONFLICT DO NOTHING makes two first writes at once both find the one row; every later
    writer waits on the lock, so one person's ledger grows one entry at a time."""
    PointsAccount.objects.bulk_create([PointsAccount(user=user)], ignore_conflicts=True)
    return PointsAccount.objects.select_for_update().get(user=user)


def _ledger_append(
    *,
    account: PointsAccount,
    amount: int,
    kind: str,
    reason: str,
    actor: User | None,
    signup: VolunteerSignup | None = None,
    redemption: Redemption | None = None,
) -> PointsEntry:
    """Append one entry to a locked account's ledger. The only code that writes PointsEntry."""
    balance = account.balance + amount
    if balance < 0:
        raise ValidationError(
            _("Not enough points: you have %(balance)d, this needs %(needed)d.")
            % {"balance": account.balance, "needed": -amount}
        )
    account.balance = balance
    account.last_sequence += 1
    account.save(update_fields=["balance", "last_sequence"])
    return PointsEntry.objects.create(
        user_id=account.user_id,
        sequence=account.last_sequence,
        amount=amount,
        kind=kind,
        reason=reason[:200],
        signup=signup,
        redemption=redemption,
        balance_after=balance,
        created_by=actor,
        created_at=timezone.now(),
    )


def points_earn_for_signup(*, signup: VolunteerSignup, points: int, actor: User) -> PointsEntry | None:
    """Points for a sign-up's confirmed hours; called inside the confirmation's transaction."""
    if points <= 0:
        return None
    account = _account_locked(signup.user)
    # The reason is stored, so in the site's language whatever language the staff member reads.
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Volunteering: %(title)s, %(hours)s h") % {"title": signup.activity.title, "hours": signup.hours}
    return _ledger_append(
        account=account, amount=points, kind=PointsEntry.Kind.EARNED, reason=reason, actor=actor, signup=signup
    )


def _resident_grid(user: User) -> Area | None:
    profile = resident_own_profile(user=user)
    return profile.household.grid if profile is not None else None


@transaction.atomic
def points_adjust(*, actor: User, user: User, amount: int, reason: str) -> PointsEntry:
    """Staff correct a person's points (a mistake, a lost item given back) with a new entry."""
    reason = (reason or "").strip()
    grid = _resident_grid(user)
    if grid is None or not covers_area(actor, grid, PARTICIPATION_ORGANISER_ROLES):
        raise ValidationError(_("This person is not a verified resident of your area."))
    if not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise ValidationError({"amount": _("Enter a number of points other than 0, at most 10,000 either way.")})
    if not reason:
        raise ValidationError({"reason": _("Say why the points change.")})
    account = _account_locked(user)
    entry = _ledger_append(account=account, amount=amount, kind=PointsEntry.Kind.ADJUSTED, reason=reason, actor=actor)
    audit_record(
        actor=actor,
        action="points.adjust",
        target=entry,
        details={"user": user.pk, "amount": amount, "balance_after": entry.balance_after, "reason": reason},
        area=grid,
    )
    return entry


def _check_item_fields(*, name: str, points_cost, stock) -> None:
    errors = {}
    if not name:
        errors["name"] = _("Give the item a name.")
    if not isinstance(points_cost, int) or not 1 <= points_cost <= MAX_ITEM_COST:
        errors["points_cost"] = _("The cost is a whole number of points from 1 to 100,000.")
    if not isinstance(stock, int) or not 0 <= stock <= MAX_ITEM_STOCK:
        errors["stock"] = _("The stock is a whole number from 0 to 100,000.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def redemption_item_create(
    *, actor: User, community: Area, name: str, points_cost: int, stock: int, description: str = ""
) -> RedemptionItem:
    name, description = (name or "").strip(), (description or "").strip()
    if (
        community is None
        or community.kind != Area.Kind.COMMUNITY
        or not covers_area(actor, community, REDEMPTION_STAFF_ROLES)
    ):
        raise ValidationError({"community": _("Choose a community in your area.")})
    _check_item_fields(name=name, points_cost=points_cost, stock=stock)
    item = RedemptionItem.objects.create(
        community=community, name=name[:100], description=description[:500], points_cost=points_cost, stock=stock
    )
    audit_record(
        actor=actor,
        action="points.item_create",
        target=item,
        details={"name": item.name, "points_cost": points_cost, "stock": stock},
        area=community,
    )
    return item


@transaction.atomic
def redemption_item_update(
    *,
    actor: User,
    item: RedemptionItem,
    name: str,
    points_cost: int,
    stock: int,
    is_active: bool,
    description: str = "",
) -> RedemptionItem:
    """Staff change an item's cost, stock or whether it is offered. The row is locked, so a
    redemption at the same moment takes its unit from the stock staff set, not from a stale copy."""
    item = RedemptionItem.objects.select_for_update().select_related("community").get(pk=item.pk)
    if not covers_area(actor, item.community, REDEMPTION_STAFF_ROLES):
        raise ValidationError(_("This item belongs to a community outside your area."))
    name, description = (name or "").strip(), (description or "").strip()
    _check_item_fields(name=name, points_cost=points_cost, stock=stock)
    before = {"name": item.name, "points_cost": item.points_cost, "stock": item.stock, "is_active": item.is_active}
    item.name, item.description, item.points_cost, item.stock, item.is_active = (
        name[:100],
        description[:500],
        points_cost,
        stock,
        bool(is_active),
    )
    item.save(update_fields=["name", "description", "points_cost", "stock", "is_active", "updated_at"])
    after = {"name": item.name, "points_cost": item.points_cost, "stock": item.stock, "is_active": item.is_active}
    audit_record(
        actor=actor,
        action="points.item_update",
        target=item,
        details={"before": before, "after": after},
        area=item.community,
    )
    return item


@transaction.atomic
def redemption_create(*, user: User, item: RedemptionItem) -> Redemption:
    """A verified resident spends points on one unit of an item of their own community.

    Lock order: the person's account, then the item (the only place both are locked), so parallel
    spends by one person queue on the account and parallel redemptions of one item queue on it."""
    grid = _resident_grid(user)
    if grid is None:
        raise ValidationError(_("Only verified residents can redeem points."))
    account = _account_locked(user)
    item = RedemptionItem.objects.select_for_update().select_related("community").get(pk=item.pk)
    if not item.is_active or not grid.is_within(item.community):
        raise ValidationError(_("This item is not offered to residents of your community."))
    if item.stock < 1:
        raise ValidationError(_("This item is out of stock."))
    if account.balance < item.points_cost:
        raise ValidationError(
            _("Not enough points: you have %(balance)d, this needs %(needed)d.")
            % {"balance": account.balance, "needed": item.points_cost}
        )
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Redeemed: %(item)s") % {"item": item.name}
    redemption = Redemption.objects.create(
        item=item,
        user=user,
        points=item.points_cost,
        pickup_code="".join(secrets.choice(PICKUP_ALPHABET) for _i in range(6)),
        created_at=timezone.now(),
    )
    item.stock -= 1
    item.save(update_fields=["stock", "updated_at"])
    entry = _ledger_append(
        account=account,
        amount=-item.points_cost,
        kind=PointsEntry.Kind.SPENT,
        reason=reason,
        actor=user,
        redemption=redemption,
    )
    audit_record(
        actor=user,
        action="points.redeem",
        target=redemption,
        details={"item": item.pk, "points": item.points_cost, "balance_after": entry.balance_after},
        area=item.community,
    )
    return redemption


@transaction.atomic
def redemption_hand_over(*, actor: User, redemption: Redemption, pickup_code: str) -> Redemption:
    """Staff of the item's community hand the item over against the code the resident shows."""
    redemption = Redemption.objects.select_for_update().select_related("item__community").get(pk=redemption.pk)
    if not covers_area(actor, redemption.item.community, REDEMPTION_STAFF_ROLES):
        raise ValidationError(_("This redemption belongs to a community outside your area."))
    if redemption.status != Redemption.Status.AWAITING_PICKUP:
        raise ValidationError(_("This item has already been handed over."))
    if (pickup_code or "").strip().upper() != redemption.pickup_code:
        raise ValidationError({"pickup_code": _("The pickup code does not match.")})
    redemption.status = Redemption.Status.HANDED_OVER
    redemption.handed_over_by = actor
    redemption.handed_over_at = timezone.now()
    redemption.save(update_fields=["status", "handed_over_by", "handed_over_at"])
    audit_record(actor=actor, action="points.hand_over", target=redemption, details={}, area=redemption.item.community)
    return redemption
