from django.apps import AppConfig


class AnalysesConfig(AppConfig):
    name = "webapp.analyses"

    def ready(self) -> None:
        from webapp.core import leases, slots

        leases.register("analyses", "webapp.analyses.tasks.take_back_all")
        slots.add_template("run.after", "analyses/run_analyses.html")
        slots.add_template("team.after", "analyses/team_sections.html")
        slots.add_row_facts("run_list.verdicts", "webapp.analyses.verdicts.latest_verdicts")
