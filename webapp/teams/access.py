"""Object access for team members. Anything a user may not see is a 404, never a
403, so an outsider cannot even learn that an object exists."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from webapp.teams.middleware import memberships_of
from webapp.teams.models import Membership


def get_for_member(queryset: QuerySet, request, **lookup) -> Model:
    """The object matching `lookup` in one of the requesting user's teams, else 404.
    The teams are the memberships the request reads once anyway (`memberships_of`),
    so the object's own query needs no join to them."""
    teams = [membership.team_id for membership in memberships_of(request)]
    obj = queryset.filter(team_id__in=teams, **lookup).first()
    if obj is None:
        raise Http404("Not found.")
    return obj


def require_membership(request) -> Membership:
    """The membership of the team the user is working in (the switcher's), for
    pages about "my team" rather than a team named in the URL."""
    if not request.membership:
        raise Http404("You are not in a team yet.")
    return request.membership


def request_membership(request, team_id) -> Membership:
    """`membership_for(request.user, team)` from the memberships the request already
    read (`memberships_of`): no query of its own."""
    membership = next((m for m in memberships_of(request) if m.team_id == team_id), None)
    if membership is None:
        raise Http404("Not found.")
    return membership


def membership_for(user, team) -> Membership:
    membership = Membership.objects.filter(user=user, team=team).first()
    if membership is None:
        raise Http404("Not found.")
    return membership


def require_write(user, team) -> Membership:
    membership = membership_for(user, team)
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot change anything in this team.")
    return membership


def require_owner(user, team) -> Membership:
    membership = membership_for(user, team)
    if not membership.is_owner:
        raise PermissionDenied("Only team owners can do this.")
    return membership
