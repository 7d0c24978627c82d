from datetime import datetime, timedelta, timezone

from webapp.runs import timeline
from webapp.runs.timeline import AnswerPoint, EventPoint, VotePoint, build_timeline

T0 = datetime(2026, 11, 24, 4, 47, 15, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sample():
    agents = [("a", "gpt-5-mini"), ("b", "claude"), ("c", "gemini")]
    answers = [AnswerPoint("a", "agent1.1", at(10), "answer-1"), AnswerPoint("b", "agent2.1", at(20), "answer-2"),
               AnswerPoint("a", "agent1.2", at(40), "answer-3")]
    votes = [VotePoint("b", "agent1.1", "a", "first", at(30), "vote-1"),
             VotePoint("b", "agent1.2", "a", "better now", at(50), "vote-2"),
             VotePoint("c", "agent2.1", "b", "clearer", at(55), "vote-3")]
    events = [EventPoint("restart", "c", at(41), "new answer"), EventPoint("error", "c", at(45), "HTTP 500"),
              EventPoint("session_end", None, at(60), "")]
    return build_timeline(agents, answers, votes, events, start=T0, end=at(60))


def test_one_lane_per_agent_in_the_given_order():
    drawn = sample()
    assert [lane.agent for lane in drawn.lanes] == ["a", "b", "c"]
    assert len({lane.y for lane in drawn.lanes}) == 3
    assert drawn.height > drawn.lanes[-1].y


def test_times_map_onto_the_plot_left_to_right():
    drawn = sample()
    answers = [m for m in drawn.markers if m.kind == "answer"]
    assert [m.text for m in answers] == ["1.1", "2.1", "1.2"]
    xs = [m.x for m in answers]
    assert drawn.plot_left < xs[0] < xs[1] < xs[2] < drawn.plot_right
    # 10 s of a 60 s span
    assert abs(xs[0] - (drawn.plot_left + (drawn.plot_right - drawn.plot_left) / 6)) < 1


def test_a_vote_arrow_ends_on_the_answer_it_voted_for():
    drawn = sample()
    answer = {m.title.split()[0]: m for m in drawn.markers if m.kind == "answer"}
    second = drawn.arrows[1]
    assert (second.x2, second.y2) == (answer["agent1.2"].x, answer["agent1.2"].y)
    assert second.anchor == "vote-2" and "better now" in second.title


def test_only_a_voters_last_vote_is_final():
    drawn = sample()
    assert [arrow.final for arrow in drawn.arrows] == [False, True, True]


def test_restarts_and_errors_are_drawn_on_their_lane_and_others_ignored():
    drawn = sample()
    kinds = {m.kind: m for m in drawn.markers}
    assert kinds["restart"].y == kinds["error"].y == drawn.lanes[2].y
    assert "HTTP 500" in kinds["error"].title
    assert "session_end" not in kinds


def test_a_vote_without_a_known_label_points_at_the_voted_for_agents_latest_answer():
    agents = [("a", ""), ("b", "")]
    answers = [AnswerPoint("a", "agent1.1", at(1)), AnswerPoint("a", "agent1.2", at(5))]
    votes = [VotePoint("b", None, "a", "", at(4))]
    drawn = build_timeline(agents, answers, votes, start=T0)
    first = next(m for m in drawn.markers if m.kind == "answer")
    assert (drawn.arrows[0].x2, drawn.arrows[0].y2) == (first.x, first.y)


def test_agents_seen_only_in_the_data_get_a_lane():
    drawn = build_timeline([("a", "")], [AnswerPoint("z", "agent9.1", at(1))], [], start=T0)
    assert [lane.agent for lane in drawn.lanes] == ["a", "z"]


def test_ticks_are_round_numbers_within_the_plot():
    drawn = sample()
    texts = [tick.text for tick in drawn.ticks]
    assert texts[0] == "0s" and texts[-1] == "1m"
    assert all(drawn.plot_left <= tick.x <= drawn.plot_right for tick in drawn.ticks)
    assert len(drawn.ticks) <= timeline.MAX_TICKS + 1


def test_format_offset():
    assert [timeline.format_offset(s) for s in (0, 2.5, 45, 120, 150, 3600, 3900)] == [
        "0s", "2.5s", "45s", "2m", "2m30s", "1h", "1h05m"]


def test_past_the_cap_answers_and_final_votes_are_kept_and_the_page_is_told(monkeypatch):
    monkeypatch.setattr(timeline, "MAX_DRAWN_MARKS", 10)
    agents = [("a", ""), ("b", "")]
    answers = [AnswerPoint("a", f"agent1.{i}", at(i)) for i in range(4)]
    votes = [VotePoint("b", "agent1.0", "a", "", at(10 + i)) for i in range(20)]
    drawn = build_timeline(agents, answers, votes, start=T0)
    assert drawn.truncated and drawn.drawn == 10 and drawn.total == 24
    assert sum(m.kind == "answer" for m in drawn.markers) == 4
    assert any(arrow.final for arrow in drawn.arrows)


def test_untimed_items_are_counted_not_drawn():
    drawn = build_timeline([("a", "")], [AnswerPoint("a", "agent1.1", None)], [], start=T0)
    assert drawn.untimed == 1 and not drawn.markers and not drawn.truncated


def test_an_empty_run_still_has_an_axis():
    drawn = build_timeline([("a", "")], [], [])
    assert drawn.ticks and drawn.lanes


def test_a_restart_trigger_is_counted_but_not_drawn_as_a_restart_of_the_triggering_agent():
    # coordination_events.json's restart_triggered sits on the agent whose new answer
    # restarted the others; the stream's agent_restart is a real restart of its agent.
    events = [EventPoint("restart", "a", at(11), "Triggered restart affecting 3 agents"),
              EventPoint("restart", "c", at(41), "new answer")]
    drawn = build_timeline([("a", ""), ("b", ""), ("c", "")], [], [], events, start=T0, end=at(60))
    restarts = [m for m in drawn.markers if m.kind == "restart"]
    assert [m.y for m in restarts] == [drawn.lanes[2].y]
    assert drawn.counts["restart_trigger"] == 1 and drawn.counts["restart"] == 1
