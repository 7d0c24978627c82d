"""The follow-up conversation of a report: a page of its own, and the thread
partial that the report page loads and that polls while an answer is pending.
Access: the analysis is looked up among the user's teams (404 outside them);
asking goes through `services`, which refuses viewers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from webapp.analyses.access import analysis_for_member
from webapp.analyses.models import Analysis
from webapp.conversations import services
from webapp.teams.access import membership_for

PAGE = "conversations/conversation.html"
THREAD = "conversations/conversation.html#thread"
REFUSED_STATUS = 400  # the page without JavaScript; htmx only swaps a 2xx, so the partial keeps 200


def _context(request, analysis: Analysis, **extra) -> dict:
    messages = services.thread(analysis)
    return {
        "analysis": analysis,
        "thread": messages,
        "pending": any(message.is_pending for message in messages),
        "can_write": membership_for(request.user, analysis.team).can_write,
        "max_question_chars": services.MAX_QUESTION_CHARS,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request, pk):
    """GET: the conversation page. POST: ask a question (the thread partial for htmx)."""
    analysis = analysis_for_member(request, pk)
    if request.method == "GET":
        return render(request, PAGE, _context(request, analysis))
    question = request.POST.get("question", "")
    try:
        services.do_ask(analysis, request.user, question)
    except services.QuestionRefused as refused:
        context = _context(request, analysis, error=str(refused), question=question)
        if request.htmx:
            return render(request, THREAD, context)
        return render(request, PAGE, context, status=REFUSED_STATUS)
    if request.htmx:
        return render(request, THREAD, _context(request, analysis))
    return redirect("conversations:page", pk=analysis.pk)


@login_required
@require_GET
def thread(request, pk):
    """The thread partial; 286 (stop polling) once no answer is pending."""
    analysis = analysis_for_member(request, pk)
    context = _context(request, analysis)
    html = render_to_string(THREAD, context, request)
    return HttpResponse(html) if context["pending"] else HttpResponseStopPolling(html)
