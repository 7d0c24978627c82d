"""A deployment whose summariser cannot be called would fail every analysis
that needs summaries: say so when the server is checked, not mid-analysis."""

from __future__ import annotations

from django.core.checks import Error, register

from webapp.llm.compression_config import SummariserUnavailable, summariser_model


@register()
def summariser_is_available(app_configs, **kwargs) -> list[Error]:
    try:
        summariser_model()
    except SummariserUnavailable as error:
        return [Error(str(error), hint="Name an available model, or unset it to summarise with the analysis model.",
                      id="debrief.compression.E001")]
    return []
