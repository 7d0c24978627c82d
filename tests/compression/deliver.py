"""`python -m tests.compression.deliver ANALYSIS_ID`: one delivery of the analysis
task in a process of its own (fresh memory of everything), on the database and
models file the environment names."""

import sys

import django

django.setup()

from tests.analyses.support import work  # noqa: E402
from webapp.analyses.models import Analysis  # noqa: E402

if __name__ == "__main__":
    analysis = work(Analysis.objects.get(pk=sys.argv[1]))
    print(analysis.status, analysis.error)
