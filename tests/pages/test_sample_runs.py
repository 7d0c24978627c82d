import pytest

from tests.samples import SAMPLE_SESSIONS, ingest_sample, sample_id

pytestmark = pytest.mark.django_db


def test_every_sample_run_is_here():
    assert len(SAMPLE_SESSIONS) >= 6


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_the_run_page_renders_every_sample_run(client, people, folder):
    run = ingest_sample(people.team_a, folder)
    client.force_login(people.alice)
    response = client.get(f"/runs/{run.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    attempt = response.context["page"].attempt
    agents = list(attempt.agentrows.values_list("agent", flat=True))
    svg = body[body.index('<svg class="timeline-svg"'): body.index("</svg>", body.index("timeline-svg"))]
    assert svg.count('class="tl-lane ') == len(agents) > 0
    assert svg.count('class="tl-mark answer') == attempt.answerrows.count()
    assert svg.count('class="tl-vote ') == attempt.voterows.count()
    if attempt.winner:
        assert attempt.winner in body
    files = client.get(f"/runs/{run.pk}/files/")
    # MassGen before 0.1.8 writes no status.json: any stored file of the run is listed.
    some_file = run.files.order_by("path").first().path.rsplit("/", 1)[-1]
    assert files.status_code == 200 and some_file in files.content.decode()
    first_answer = attempt.answerrows.exclude(path="").first()
    if first_answer:
        text = client.get(f"/runs/{run.pk}/files/{first_answer.path}", headers={"HX-Request": "true"})
        assert text.status_code == 200 and 'class="rendered' in text.content.decode() and "<html" not in text.content.decode()
