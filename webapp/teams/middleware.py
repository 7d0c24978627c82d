from django.utils.functional import SimpleLazyObject

from webapp.teams.models import Membership

SESSION_KEY = "team_id"


def current_membership(request) -> Membership | None:
    """The membership of the team chosen in the switcher, else the user's first."""
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=request.user).select_related("team")
    chosen = request.session.get(SESSION_KEY)
    return (chosen and memberships.filter(team_id=chosen).first()) or memberships.first()


class CurrentTeamMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        return self.get_response(request)
