from django.utils.functional import SimpleLazyObject

from webapp.teams.models import Membership

SESSION_KEY = "team_id"


def memberships_of(request) -> list[Membership]:
    """The user's memberships with their teams, read once per request: the team
    switcher, the current team and each view's access check all use this list
    (they were three queries on every page)."""
    memberships = getattr(request, "_team_memberships", None)
    if memberships is None:
        memberships = list(Membership.objects.filter(user=request.user).select_related("team"))
        request._team_memberships = memberships
    return memberships


def current_membership(request) -> Membership | None:
    """The membership of the team chosen in the switcher, else the user's first."""
    if not request.user.is_authenticated:
        return None
    memberships = memberships_of(request)
    chosen = request.session.get(SESSION_KEY)
    return next((m for m in memberships if chosen and m.team_id == chosen), None) or next(iter(memberships), None)


class CurrentTeamMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        return self.get_response(request)
