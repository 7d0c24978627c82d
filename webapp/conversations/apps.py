from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "webapp.conversations"

    def ready(self) -> None:
        from webapp.analyses import budget
        from webapp.core import leases, slots

        budget.register_spending("webapp.conversations.spending.followups_spent")
        leases.register("answers", "webapp.conversations.tasks.take_back_all")
        slots.add_template("report.after", "conversations/section.html")
