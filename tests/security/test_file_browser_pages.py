"""The raw-file browser lists FILES_PAGE_SIZE files a page, with plain links
between pages: a 25,000-file run was one 5 MB page."""

from __future__ import annotations

import re

import pytest

from tests.factories import RunFactory
from webapp.runs.models import RunFile
from webapp.runs.presenters.run_files import FILES_PAGE_SIZE, MAX_INDENT_DEPTH, files_page

pytestmark = pytest.mark.django_db


def run_with(team, count: int, folder: str = "turn_1/attempt_1/agent_a"):
    run = RunFactory(team=team)
    RunFile.objects.bulk_create(RunFile(run=run, path=f"{folder}/file_{n:05}.txt", size=n) for n in range(count))
    return run


def listed(page_html: str) -> list[str]:
    return re.findall(r'<td class="name depth-\d+"><a href="[^"]+">([^<]+)</a>', page_html)


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_the_page_size_is_a_named_constant():
    assert FILES_PAGE_SIZE == 500


def test_exactly_one_page_of_files_has_no_pager(alice, people):
    run = run_with(people.team_a, FILES_PAGE_SIZE)
    body = alice.get(f"/runs/{run.pk}/files/").content.decode()
    assert len(listed(body)) == FILES_PAGE_SIZE
    assert 'class="pager"' not in body and f"{FILES_PAGE_SIZE} files" in body


def test_one_file_past_a_page_makes_a_second_page_reached_by_plain_links(alice, people):
    run = run_with(people.team_a, FILES_PAGE_SIZE + 1)
    first = alice.get(f"/runs/{run.pk}/files/").content.decode()
    assert len(listed(first)) == FILES_PAGE_SIZE
    assert '<a class="button" rel="next" href="?page=2">' in first  # no htmx: works without JavaScript
    assert "Page 1 of 2" in first and "501 files" in first and "1–500 shown" in first

    second = alice.get(f"/runs/{run.pk}/files/?page=2").content.decode()
    assert listed(second) == [f"file_{FILES_PAGE_SIZE:05}.txt"]
    assert '<a class="button" rel="prev" href="?page=1">' in second
    assert "Page 2 of 2" in second and "501–501 shown" in second


def test_a_page_that_starts_inside_a_folder_repeats_its_heading(alice, people):
    run = run_with(people.team_a, FILES_PAGE_SIZE + 1)
    second = alice.get(f"/runs/{run.pk}/files/?page=2").content.decode()
    assert '<tr class="folder"><td colspan="2">turn_1/attempt_1/agent_a/</td></tr>' in second


def test_a_run_of_25000_files_is_a_small_page(alice, people):
    run = run_with(people.team_a, 25_000)
    response = alice.get(f"/runs/{run.pk}/files/")
    assert response.status_code == 200
    assert len(response.content) < 200_000, len(response.content)
    body = response.content.decode()
    assert "25,000 files" in body and "Page 1 of 50" in body
    last = alice.get(f"/runs/{run.pk}/files/?page=50").content.decode()
    assert listed(last)[-1] == "file_24999.txt"


@pytest.mark.parametrize("page", ["0", "3", "-1", "abc", "1.5", "9" * 40])
def test_a_page_that_does_not_exist_is_a_404_that_says_so(alice, people, page):
    run = run_with(people.team_a, FILES_PAGE_SIZE + 1)
    response = alice.get(f"/runs/{run.pk}/files/", {"page": page})
    assert response.status_code == 404
    assert "pages run from 1 to 2" in response.content.decode()


def test_an_empty_run_has_one_empty_page(alice, people):
    run = RunFactory(team=people.team_a)
    response = alice.get(f"/runs/{run.pk}/files/")
    assert response.status_code == 200 and "No stored files." in response.content.decode()


def test_folders_are_indented_by_class_not_style_attribute(alice, people):
    run = RunFactory(team=people.team_a)
    deep = "/".join(f"d{n}" for n in range(MAX_INDENT_DEPTH + 3))
    RunFile.objects.bulk_create([RunFile(run=run, path="top.txt", size=1), RunFile(run=run, path=f"{deep}/deep.txt", size=1)])
    body = alice.get(f"/runs/{run.pk}/files/").content.decode()
    assert "style=" not in body
    assert '<td class="name depth-0"><a' in body and f'<td class="name depth-{MAX_INDENT_DEPTH}"><a' in body


def test_the_presenter_pages_in_the_browsers_order(people):
    run = RunFactory(team=people.team_a)
    RunFile.objects.bulk_create(RunFile(run=run, path=p, size=1) for p in ["b.txt", "a/z.txt", "a-b/y.txt", "a/x.txt"])
    page = files_page(run, None)
    assert [f.path for f in page.object_list] == ["b.txt", "a/x.txt", "a/z.txt", "a-b/y.txt"]
