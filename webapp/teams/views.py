from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from webapp.audit.models import Action
from webapp.audit.services import AuditFilter, page_of, team_actors, team_entries
from webapp.teams import services
from webapp.teams.access import membership_for, require_membership, require_owner
from webapp.teams.middleware import SESSION_KEY
from webapp.teams.models import Membership, Role, Team
from webapp.teams.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, parse_optional_days


@login_required
@require_POST
def switch_team(request):
    team = get_object_or_404(Team, slug=request.POST.get("team", ""))
    membership_for(request.user, team)
    request.session[SESSION_KEY] = team.pk
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "dashboard"
    return redirect(target)


@login_required
def team_page(request, slug: str):
    team = get_object_or_404(Team, slug=slug)
    membership = membership_for(request.user, team)
    context = {
        "team": team,
        "membership": membership,
        "members": team.memberships.select_related("user").order_by("user__username"),
        "roles": Role.choices,
        "retention": {"min": MIN_RETENTION_DAYS, "max": MAX_RETENTION_DAYS, "server_default": settings.DEBRIEF_RETENTION_DAYS},
    }
    if membership.is_owner:
        context |= _audit_context(request, team)
    return render(request, "teams/team.html", context)


def _audit_context(request, team) -> dict:
    """The audit log section, owners only: filtered by actor and action, paginated."""
    try:
        chosen = AuditFilter.parse(request.GET)
    except ValueError as error:
        messages.error(request, str(error))
        chosen = AuditFilter()
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "audit_page": page_of(team_entries(team, chosen), request.GET.get("page")),
        "audit_filter": chosen,
        "audit_actors": team_actors(team),
        "audit_actions": Action.choices,
        "audit_query": query.urlencode(),
    }


@login_required
@require_POST
def set_retention(request, slug: str):
    team = get_object_or_404(Team, slug=slug)
    require_owner(request.user, team)
    try:
        if request.POST.get("action") == "default":
            services.do_set_retention(team, request.user, None, use_default=True)
        else:
            services.do_set_retention(team, request.user, parse_optional_days(request.POST.get("retention_days", "")))
    except ValueError as exc:
        messages.error(request, f"Retention not changed: {exc}")
    else:
        messages.success(request, "Retention saved.")
    return redirect("team", slug=slug)


@login_required
def current_team_page(request):
    return redirect("team", slug=require_membership(request).team.slug)


@login_required
@require_POST
def add_member(request, slug: str):
    team = get_object_or_404(Team, slug=slug)
    require_owner(request.user, team)
    try:
        services.do_add_member(team, request.POST.get("username", "").strip(), request.POST.get("role", Role.MEMBER), request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("team", slug=slug)


@login_required
@require_POST
def change_member(request, slug: str, membership_id: int):
    team = get_object_or_404(Team, slug=slug)
    require_owner(request.user, team)
    target = get_object_or_404(Membership, pk=membership_id, team=team)
    try:
        if request.POST.get("action") == "remove":
            services.do_remove_member(target, request.user)
        else:
            services.do_change_role(target, request.POST.get("role", ""), request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("team", slug=slug)
