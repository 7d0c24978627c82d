"""What the run pages show, built from the database so the views stay thin:
one module per page (runs_list, run_detail, run_files), and what they share
(query_params, attempt_choice, vote_matrix).

Everything read from a run is untrusted text: it leaves here as plain strings
and reaches the page through Django's autoescape only.

Every name is importable from here too (`from webapp.runs.presenters import
choose_attempt`, `presenters.run_page(...)`), as before the split; a limit is
tuned in the module that reads it (`runs_list.PAGE_SIZE`)."""

from __future__ import annotations

from webapp.runs.presenters.attempt_choice import AttemptChoice, TurnChoices, choose_attempt
from webapp.runs.presenters.run_files import (
    BINARY_SNIFF_BYTES,
    FILE_VIEW_MAX_BYTES,
    FileListing,
    FileText,
    list_files,
    read_run_file,
)
from webapp.runs.presenters.run_detail import (
    MAX_LISTED,
    AgentAnswers,
    AnswerItem,
    Capped,
    RunPage,
    TokenFigure,
    VoteItem,
    run_page,
)
from webapp.runs.presenters.run_summary import RunSummary, SummaryCard, build_summary
from webapp.runs.presenters.runs_list import (
    COUNT_CAP,
    DEFAULT_SORT,
    LIST_FIELDS,
    PAGE_SIZE,
    SORTS,
    RunFilters,
    RunListPage,
    SortLink,
    model_choices,
    run_list,
)
from webapp.runs.presenters.vote_matrix import MatrixCell, VoteMatrix

__all__ = [
    "BINARY_SNIFF_BYTES",
    "COUNT_CAP",
    "DEFAULT_SORT",
    "FILE_VIEW_MAX_BYTES",
    "LIST_FIELDS",
    "MAX_LISTED",
    "PAGE_SIZE",
    "SORTS",
    "AgentAnswers",
    "AnswerItem",
    "AttemptChoice",
    "Capped",
    "FileListing",
    "FileText",
    "MatrixCell",
    "RunFilters",
    "RunListPage",
    "RunPage",
    "RunSummary",
    "SummaryCard",
    "SortLink",
    "TokenFigure",
    "build_summary",
    "TurnChoices",
    "VoteItem",
    "VoteMatrix",
    "choose_attempt",
    "list_files",
    "model_choices",
    "read_run_file",
    "run_list",
    "run_page",
]
