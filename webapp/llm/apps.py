from django.apps import AppConfig


class LlmConfig(AppConfig):
    name = "webapp.llm"

    def ready(self) -> None:
        from webapp.core import slots
        from webapp.llm import checks  # noqa: F401  (registers the settings check)

        slots.add_template("run.panel", "llm/analyse_panel.html")
