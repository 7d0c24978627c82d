from webapp.teams.models import Membership


def teams(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = request.membership
    return {
        "current_membership": membership if membership else None,
        "current_team": membership.team if membership else None,
        "all_memberships": Membership.objects.filter(user=request.user).select_related("team"),
    }
