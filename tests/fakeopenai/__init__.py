"""A fake OpenAI-compatible server for every LLM test in the project (no network)."""

from tests.fakeopenai.process import FakeOpenAIProcess
from tests.fakeopenai.recording import RecordedRequest, read_recorded
from tests.fakeopenai.replies import Reply
from tests.fakeopenai.server import FakeOpenAI

__all__ = ["FakeOpenAI", "FakeOpenAIProcess", "RecordedRequest", "Reply", "read_recorded"]
