from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "webapp.conversations"

    def ready(self) -> None:
        from webapp.conversations import checks  # noqa: F401  (registers the settings check)
