"""Follow-up questions: the digest always first and verbatim, the history shrunk
when it grows too large."""

from __future__ import annotations

from analysis.compression import InMemoryCompactionSupport
from analysis.engine.followup import ask
from tests.llm.model_infos import tiny_model
from tests.llm.run_inputs import FACTS, trace_line

REPORT = "# Analysis\n\nagent_b repeated agent_a's search (agent1.1, agent2.1)."


def long_history(turns: int) -> list[dict]:
    history = [{"role": "assistant", "content": REPORT}]
    for turn in range(turns):
        history.append({"role": "user", "content": f"What did agent_a do in step {turn}?"})
        steps = "\n".join(trace_line(0, turn * 10 + step) for step in range(10))
        history.append({"role": "assistant", "content": steps})
    return history


def follow_up(model, history, question="Which agent wasted the most tokens?", **changes):
    arguments = {"api_key": "sk-test", "timeout": 10, "memory": InMemoryCompactionSupport(), **changes}
    return ask(model, history, question, FACTS, **arguments)


def test_a_short_conversation_is_answered_in_one_call_with_the_digest_first(fake_openai):
    history = long_history(1)

    answer = follow_up(tiny_model(fake_openai, native=True), history)

    [request] = fake_openai.requests()
    assert request.endpoint == "responses"
    digest, *sent_history, question = request.body["input"]
    assert FACTS in digest["content"]
    assert sent_history == history
    assert question == {"role": "user", "content": "Which agent wasted the most tokens?"}
    assert answer.shrunk == "none"
    assert answer.history == [*history, question, {"role": "assistant", "content": answer.text}]
    assert answer.cost_usd == answer.calls[0].cost_usd > 0


def test_a_long_conversation_with_a_native_model_is_compacted_and_the_window_becomes_the_history(fake_openai):
    history = long_history(12)

    answer = follow_up(tiny_model(fake_openai, native=True), history)

    compact, final = fake_openai.requests()
    assert (compact.endpoint, final.endpoint) == ("compact", "responses")
    assert compact.body["input"] == history
    assert FACTS not in str(compact.body)  # the digest is never compacted
    window = compact.reply["output"]
    assert final.body["input"][1 : 1 + len(window)] == window
    assert answer.shrunk == "native"
    assert answer.history[: len(window)] == window
    assert [call.purpose for call in answer.calls] == ["compact", "followup"]


def test_the_next_turn_sends_the_compacted_history_back_unchanged(fake_openai):
    model = tiny_model(fake_openai, native=True)
    first = follow_up(model, long_history(12))

    follow_up(model, first.history, "And agent_c?")

    final = fake_openai.requests()[-1]
    assert final.reply_status == 200
    assert final.body["input"][1:-1] == first.history


def test_a_long_conversation_with_a_chat_model_is_summarised(fake_openai):
    model = tiny_model(fake_openai, native=False, api="chat")

    answer = follow_up(model, long_history(12))

    assert {request.endpoint for request in fake_openai.requests()} == {"chat"}
    assert answer.shrunk == "summarize"
    [summary] = answer.history[:-2]
    assert summary["role"] == "assistant" and summary["content"].startswith("Summary of the conversation so far:")
    assert "[turn1]" in summary["content"]
    assert FACTS in fake_openai.requests()[-1].body["messages"][1]["content"]


def test_a_refused_follow_up_compaction_falls_back_and_is_remembered(fake_openai):
    model = tiny_model(fake_openai, native=True)
    fake_openai.fail_compact("tiny-model", 400)
    memory = InMemoryCompactionSupport()

    first = follow_up(model, long_history(12), memory=memory)
    second = follow_up(model, long_history(12), memory=memory)

    assert len(fake_openai.requests_to("compact")) == 1
    assert first.shrunk == second.shrunk == "summarize"
    assert "compaction unsupported" in first.fallback_reason
    assert memory.unsupported_reason(model) is not None
