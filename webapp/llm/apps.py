from django.apps import AppConfig


class LlmConfig(AppConfig):
    name = "webapp.llm"

    def ready(self) -> None:
        from webapp.llm import checks  # noqa: F401  (registers the settings check)
