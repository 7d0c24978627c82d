"""The team's API tokens page (/team/tokens/): everyone in the team sees the
list; owners and members create and revoke. A new token's plaintext is in the
response to the POST that created it and nowhere else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from webapp.api import tokens
from webapp.api.models import ApiToken, Scope
from webapp.teams.access import require_membership, require_write


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    membership = require_membership(request)
    team = membership.team
    context = {"team": team, "membership": membership, "scopes": Scope.choices}
    if request.method == "POST":
        require_write(request.user, team)
        try:
            token, plaintext = tokens.do_create_token(team, request.POST.get("scope", ""), request.POST.get("name", ""), request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("api_tokens")
        context |= {"new_token": token, "plaintext": plaintext}
    context["tokens"] = ApiToken.objects.filter(team=team).select_related("created_by")
    response = render(request, "api/tokens.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold a plaintext token
    return response


@login_required
@require_POST
def revoke_token(request, token_id: int):
    team = require_membership(request).team
    token = get_object_or_404(ApiToken, pk=token_id, team=team)
    require_write(request.user, team)
    tokens.do_revoke_token(token, request.user)
    messages.success(request, f"Token {token.display} revoked.")
    return redirect("api_tokens")
