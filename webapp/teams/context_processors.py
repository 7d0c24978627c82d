from webapp.teams.middleware import memberships_of


def teams(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = request.membership
    return {
        "current_membership": membership if membership else None,
        "current_team": membership.team if membership else None,
        "all_memberships": memberships_of(request),
    }
