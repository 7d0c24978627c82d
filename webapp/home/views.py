from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from webapp.home.dashboard import dashboard_context


@login_required
def dashboard(request):
    return render(request, "home/dashboard.html", dashboard_context(request.membership))
