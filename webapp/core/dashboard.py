"""What the dashboard shows for a team. Later apps add their figures here."""


def dashboard_context(membership) -> dict:
    return {"membership": membership}
