"""The OpenAPI 3 description of API v1, written by hand and kept true to the
code: tests/api/test_schema.py checks that every route of webapp/api/urls.py
is here with the same methods and scopes, and nothing else is.

To add an endpoint: add its route to urls.py and an entry to PATHS built with
`operation(...)`; `x-scopes` lists the token scopes that may call it (omit it
for a public endpoint)."""

from __future__ import annotations

from copy import deepcopy

from webapp.audit.models import Action, ActorKind
from webapp.runs.models import RunStatus

API_VERSION = "1"


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


# Errors every token-authenticated endpoint may answer with.
_AUTH_ERRORS = {
    "401": _error("No token, or an unknown or revoked one."),
    "403": _error("The token's scope does not allow this."),
    "405": _error("Method not allowed here; `Allow` lists the ones that are."),
    "429": {**_error("Too many requests with this token, or too many failed authentications from this address."), "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}},
}


def operation(summary: str, description: str, responses: dict, *, scopes: list[str] | None = None, parameters: list | None = None, request_body: dict | None = None) -> dict:
    op = {"summary": summary, "description": description, "responses": responses}
    if scopes is not None:
        op["x-scopes"] = scopes
        op["security"] = [{"bearerAuth": []}]
        op["responses"] = responses | _AUTH_ERRORS
    else:
        op["security"] = []
    if parameters:
        op["parameters"] = parameters
    if request_body:
        op["requestBody"] = request_body
    return op


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# What `since`/`until` accept (webapp.api.filters._moment): a date, or a date-time
# with optional seconds, fraction and offset. The server also checks the calendar.
MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_MOMENT = {"type": "string", "pattern": MOMENT_PATTERN, "example": "2026-11-24T05:00:00Z"}
_RUN_ID = {"name": "run_id", "in": "path", "required": True, "description": "The run's id (a UUID).", "schema": {"type": "string", "format": "uuid"}}

PATHS = {
    "/runs": {
        "post": operation(
            "Upload a run",
            "Upload a MassGen `log_*` folder archived as .zip, .tar.gz or .tgz, in the multipart field `file`. "
            "The run is processed in the background: poll `GET /runs/{run_id}` until `status` is `ready` or `failed`. "
            "Uploading the same archive again (same SHA-256 in the team) answers 200 with the existing run.",
            {
                "201": _json("Created; the run is queued.", "RunItem"),
                "200": _json("This archive was already uploaded; the existing run.", "RunItem"),
                "400": _error("Not multipart, no `file`, or not a .zip/.tar.gz/.tgz archive."),
                "413": _error("Over an upload limit (DEBRIEF_MAX_UPLOAD_BYTES, DEBRIEF_MAX_UPLOAD_FILES); the detail names it."),
            },
            scopes=["upload", "full"],
            request_body={
                "required": True,
                "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary", "minLength": 1,
                "description": "the archive; its name ends .zip, .tar.gz or .tgz"}}}}},
            },
        ),
        "get": operation(
            "List runs",
            "The team's runs, newest first, `limit` at a time; follow `next` (or pass `next_cursor` as `cursor`) for more.",
            {"200": _json("A page of runs.", "RunPage"), "400": _error("A parameter could not be read; the detail names it.")},
            scopes=["read", "full"],
            parameters=[
                _query("status", "Only runs in this status.", {"type": "string", "enum": list(RunStatus.values)}),
                _query("model", "Only runs with an agent on this model (exact name).", {"type": "string"}),
                _query("q", "Only runs whose question contains this text (case-insensitive).", {"type": "string", "maxLength": 200}),
                _query("since", "Only runs uploaded at or after this ISO 8601 date or date-time (UTC if no offset).", _MOMENT),
                _query("until", "Only runs uploaded before this ISO 8601 date or date-time (UTC if no offset).", _MOMENT),
                _query("limit", "Runs per page, 1 to 200.", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
                _query("cursor", "Where the previous page ended (its `next_cursor`).", {"type": "string"}),
            ],
        ),
    },
    "/runs/{run_id}": {
        "get": operation(
            "Get a run",
            "A run with its status and, once `ready`, the reader's summary (format_version 1). A run of another team is a 404.",
            {"200": _json("The run.", "RunDetail"), "404": _error("No such run in the token's team.")},
            scopes=["read", "full"],
            parameters=[_RUN_ID],
        ),
        "delete": operation(
            "Delete a run",
            "Deletes the run, its rows and its stored files.",
            {"204": {"description": "Deleted; no body."}, "404": _error("No such run in the token's team.")},
            scopes=["full"],
            parameters=[_RUN_ID],
        ),
    },
    "/schema": {
        "get": operation("This schema", "The OpenAPI 3 description of this API.", {"200": {"description": "OpenAPI 3 JSON.", "content": {"application/json": {}}}}),
    },
    "/docs": {
        "get": operation("API documentation", "This API's endpoints as a web page.", {"200": {"description": "HTML.", "content": {"text/html": {}}}}),
    },
}

_NULLABLE_STRING = {"type": "string", "nullable": True}

COMPONENTS = {
    "securitySchemes": {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A team API token (`dbr_upload_…`, `dbr_read_…` or `dbr_full_…`) from the team's API tokens page or `debrief tokens create`.",
        }
    },
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error", "detail"],
            "properties": {"error": {"type": "string", "description": "a stable code, e.g. `not_found`"}, "detail": {"type": "string"}},
        },
        "RunItem": {
            "type": "object",
            "required": ["id", "url", "status", "error", "sha256"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "url": {"type": "string", "description": "the run's page in Debrief"},
                "api_url": {"type": "string"},
                "status": {"type": "string", "enum": list(RunStatus.values)},
                "error": {**_NULLABLE_STRING, "description": "why the run failed, for a person"},
                "sha256": {"type": "string"},
                "source": {"type": "string", "enum": ["upload", "api", "folder", "demo"]},
                "original_name": {"type": "string"},
                "size_bytes": {"type": "integer"},
                "created_at": {"type": "string", "format": "date-time"},
                "processed_at": {**_NULLABLE_STRING, "format": "date-time"},
                "session_id": _NULLABLE_STRING,
                "massgen_version": _NULLABLE_STRING,
                "question": _NULLABLE_STRING,
                "started_at": {**_NULLABLE_STRING, "format": "date-time"},
                "duration_seconds": {"type": "number", "nullable": True},
                "winner": _NULLABLE_STRING,
                "models": {"type": "array", "items": {"type": "string"}},
                "agent_count": {"type": "integer"},
                "input_tokens": {"type": "integer", "nullable": True,
                                 "description": "summed over the run; null when its MassGen version recorded none (0.1.1)"},
                "output_tokens": {"type": "integer", "nullable": True, "description": "null: not recorded, as input_tokens"},
                "cost_usd": {"type": "number", "nullable": True,
                             "description": "MassGen's estimate; null when its MassGen version recorded none (0.1.1), never 0"},
                "skipped_files": {"type": "object", "additionalProperties": {"type": "integer"},
                                  "description": "files a folder upload left out, per folder name (`node_modules`, `.venv`, `workspace`)"},
                "massgen_session_id": {**_NULLABLE_STRING,
                                       "description": "the MassGen session (`session_YYYYMMDD_HHMMSS`) the run belongs to, as MassGen recorded it"},
                "continues": {**_NULLABLE_STRING, "format": "uuid",
                              "description": "a `massgen --continue` run uploaded on its own: the run it continues, which holds every turn of the session"},
                "continued_by": {"type": "array", "items": {"type": "string", "format": "uuid"},
                                 "description": "the `massgen --continue` runs joined into this one, oldest first"},
            },
        },
        "RunDetail": {
            "allOf": [
                {"$ref": "#/components/schemas/RunItem"},
                {
                    "type": "object",
                    "required": ["summary"],
                    "properties": {
                        "summary": {
                            "type": "object",
                            "nullable": True,
                            "description": "The reader's `debrief runs summary --json` contract (format_version 1); null until ready.",
                            "properties": {
                                "format_version": {"type": "integer"},
                                "session_id": {"type": "string"},
                                "massgen_version": _NULLABLE_STRING,
                                "turns": {"type": "array", "items": {"type": "object"}},
                                "massgen_session_id": _NULLABLE_STRING,
                                "continues_session_id": {**_NULLABLE_STRING,
                                                         "description": "set when the run is a `massgen --continue` of that MassGen session"},
                            },
                        }
                    },
                },
            ]
        },
        "RunPage": {
            "type": "object",
            "required": ["results", "next_cursor", "next"],
            "properties": {
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/RunItem"}},
                "next_cursor": _NULLABLE_STRING,
                "next": {**_NULLABLE_STRING, "description": "the URL of the next page"},
            },
        },
    },
}


# --- Analyses (webapp/analyses/api_urls.py) -------------------------------------
_ANALYSIS_ID = {"name": "analysis_id", "in": "path", "required": True, "description": "The analysis's id (a UUID).", "schema": {"type": "string", "format": "uuid"}}
_MONEY = {"type": "number", "description": "US dollars"}
PATHS["/runs/{run_id}/analyses"] = {
    "post": operation(
        "Analyse a run",
        "Queues an analysis of a `ready` run with `model` (see the Models page or `debrief models`). The estimate is "
        "made and stored first; the request is refused when it exceeds `max_cost_usd` or what is left of the team's "
        "monthly budget. Poll `GET /analyses/{analysis_id}` until `status` is `done`, `failed` or `cancelled`.",
        {
            "202": _json("Queued.", "AnalysisQueued"),
            "400": _json(
                "Refused: `error` is `bad_request`, `unknown_model`, `model_unavailable`, `bad_compression`, "
                "`does_not_fit` (nothing makes the run fit the model), `over_max_cost` (with `estimate_usd`, `max_cost_usd`), `over_budget` (with `estimate_usd`, "
                "`left_usd`, `budget_usd`, `spent_usd`) or `price_unknown` (the model has no price and `max_cost_usd` or a budget applies).",
                "AnalysisRefused",
            ),
            "404": _error("No such run in the token's team, or no such `turn`/`attempt` in the run."),
            "409": _error("The run is not `ready` yet (`run_not_ready`)."),
        },
        scopes=["full"],
        parameters=[_RUN_ID],
        request_body={
            "required": True,
            "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["model"],
                "properties": {
                    "model": {"type": "string", "minLength": 1, "pattern": "\\S"},
                    "max_cost_usd": {**_MONEY, "minimum": 0, "description": "refuse if the estimate is higher"},
                    "compression": {"type": "string", "enum": ["auto", "native", "summarize", "off"], "default": "auto"},
                    "turn": {"type": "integer", "minimum": 0, "description": "with `attempt`: the attempt to analyse (default: the digest's)"},
                    "attempt": {"type": "integer", "minimum": 0, "description": "with `turn`"},
                },
            }}},
        },
    ),
}
PATHS["/analyses/{analysis_id}/cancel"] = {
    "post": operation(
        "Cancel an analysis",
        "A queued analysis stops at once (`cancelled`); a running one at its next step (a provider call in flight "
        "finishes, and is paid for). A finished analysis is left as it is. Answers the analysis.",
        {"200": _json("The analysis after the request.", "Analysis"), "404": _error("No such analysis in the token's team.")},
        scopes=["full"],
        parameters=[_ANALYSIS_ID],
    ),
}
PATHS["/analyses/{analysis_id}"] = {
    "get": operation(
        "Get an analysis",
        "An analysis: its status and stage while it runs; then the verdict, findings and report (Markdown, and HTML "
        "already sanitised), the estimate made before the call beside the provider's actual usage and cost, and the "
        "prices used. `answered_by` names the model that wrote the report (a fallback, when `fallback_reason` is set).",
        {"200": _json("The analysis.", "Analysis"), "404": _error("No such analysis in the token's team.")},
        scopes=["read", "full"],
        parameters=[_ANALYSIS_ID],
    ),
}
_USAGE = {name: {"type": "integer"} for name in ("input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens")}
_UNCONFIRMED = {
    "type": "object",
    "properties": {
        "cost_usd": _MONEY,
        "calls": {"type": "array", "items": {"type": "object", "properties": {
            "purpose": {"type": "string"}, "model": {"type": "string"},
            "usage": {"type": "object", "properties": _USAGE}, "cost_usd": _MONEY, "reason": {"type": "string"},
        }}},
    },
}
COMPONENTS["schemas"] |= {
    "AnalysisQueued": {
        "type": "object",
        "required": ["id", "status", "estimate"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"type": "string", "enum": ["queued"]},
            "estimate": {"type": "object", "description": "tokens and dollars foreseen (total_usd), as on the Analyse panel"},
            "url": {"type": "string", "description": "the report's page in Debrief"},
        },
    },
    "AnalysisRefused": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string"},
            "detail": {"type": "string"},
            "estimate_usd": _MONEY,
            "max_cost_usd": _MONEY,
            "left_usd": _MONEY,
            "budget_usd": _MONEY,
            "spent_usd": _MONEY,
        },
    },
    "Analysis": {
        "type": "object",
        "required": ["id", "run", "model", "status", "stage", "error", "verdict", "findings", "report_markdown",
                     "report_html", "estimate", "actual", "prices", "answered_by", "url"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "run": {"type": "string", "format": "uuid"},
            "model": {"type": "string", "description": "as requested"},
            "compression": {"type": "string", "enum": ["auto", "native", "summarize", "off"], "description": "the strategy requested"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
            "stage": {"type": "string", "enum": ["queued", "building_input", "compressing", "calling_model", "validating", "saved"]},
            "error": {"type": "string"},
            "verdict": {**_NULLABLE_STRING, "enum": ["pass", "warn", "fail", None]},
            "findings": {"type": "array", "items": {"type": "object", "properties": {
                "category": {"type": "string"}, "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
                "title": {"type": "string"}, "evidence": {"type": "array", "items": {"type": "string"}},
                "recommendation": {"type": "string"},
            }}},
            "report_markdown": {"type": "string"},
            "report_html": {"type": "string", "description": "sanitised: no script, event handler, style or javascript: link"},
            "estimate": {"type": "object"},
            "actual": {"type": "object", "properties": {**_USAGE, "cost_usd": _MONEY}},
            "prices": {"type": "object", "description": "model -> per-million-token prices used"},
            "answered_by": _NULLABLE_STRING,
            "fallback_reason": _NULLABLE_STRING,
            "compression_record": {"$ref": "#/components/schemas/CompressionRecord"},
            "stage_detail": {**_NULLABLE_STRING, "description": "what the current stage waits for, e.g. 'retrying in 20 s after a 429: Rate limit reached'"},
            "retries": {
                "type": "array",
                "description": "transient provider failures so far, each followed by a retry (or, for the last, the failure)",
                "items": {"type": "object", "properties": {
                    "at": {"type": "string"}, "status": {"type": "integer", "nullable": True},
                    "error": {"type": "string"}, "retry_in_seconds": {"type": "integer"},
                }},
            },
            "unconfirmed": {
                **_UNCONFIRMED,
                "description": "calls the provider probably billed whose usage was never read (a worker stopped mid-call, "
                               "a time-out, an unreadable 2xx reply), counted at their estimate; not included in `actual`",
            },
            "answers": {
                "type": "object",
                "description": "the follow-up answers about this analysis: how many, what their calls cost, and their "
                               "calls probably billed but never read (counted at their estimate), apart from the analysis's own",
                "properties": {"count": {"type": "integer"}, "cost_usd": _MONEY, "unconfirmed": _UNCONFIRMED},
            },
            "url": {"type": "string"},
        },
    },
    "CompressionRecord": {
        "type": "object",
        "description": "What the report page's Compression card shows. `applied` and the figures are null until the "
                       "analysis reaches compression.",
        "required": ["requested", "planned", "applied", "tokens_before", "tokens_after", "calls", "cost_usd", "fallback_reason"],
        "properties": {
            "requested": {"type": "string", "enum": ["auto", "native", "summarize", "off"]},
            "planned": {**_NULLABLE_STRING, "enum": ["none", "native", "summarize", None],
                        "description": "what the estimate planned (`none`: the run fits)"},
            "applied": {**_NULLABLE_STRING, "description": "what the worker did: `none`, `native` or `summarize`"},
            "tokens_before": {"type": "integer", "nullable": True, "description": "the request's input tokens with the raw material"},
            "tokens_after": {"type": "integer", "nullable": True, "description": "... with the material actually sent"},
            "budget_tokens": {"type": "integer", "nullable": True},
            "calls": {"type": "array", "items": {"type": "object", "properties": {
                "purpose": {"type": "string"}, "model": {"type": "string"},
                "usage": {"type": "object", "properties": _USAGE}, "cost_usd": _MONEY,
                "response_id": _NULLABLE_STRING}}},
            "usage": {"type": "object", "nullable": True, "properties": _USAGE, "description": "of the compression calls together"},
            "cost_usd": {**_MONEY, "nullable": True, "description": "of the compression calls together"},
            "fallback_reason": {**_NULLABLE_STRING, "description": "why another strategy than the planned one was used"},
        },
    },
}
# --- end of Analyses --------------------------------------------------------------

# --- Models and estimates (webapp/llm/api_urls.py) ----------------------------------
_NUMBER_OR_NULL = {"type": "number", "nullable": True}
PATHS["/models"] = {
    "get": operation(
        "List analysis models",
        "The models this deployment offers (litellm's price map narrowed by the allowlist, custom models, and "
        "`debrief/offline`), sorted by provider then name, with prices per million tokens and whether the "
        "environment makes each one usable (`unavailable_reason` names the variable to set).",
        {"200": {"description": "The models.", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/Model"}}}}},
         "400": _error("`available` or `live` is neither true nor false (`bad_query`).")},
        scopes=["read", "full"],
        parameters=[
            _query("provider", "Only this provider's models, e.g. `openai`.", {"type": "string"}),
            _query("available", "`true`: only usable models; `false`: only unusable ones.", {"type": "boolean"}),
            _query("q", "Only models whose name contains this text (case-insensitive).", {"type": "string"}),
            _query("live", "`true`: ask every endpoint for its model list now instead of using the cached list "
                   "(kept for the discovery TTL).", {"type": "boolean"}),
        ],
    ),
}
PATHS["/runs/{run_id}/estimate"] = {
    "post": operation(
        "Estimate an analysis",
        "What analysing a `ready` run with `model` would cost: the input tokens of the exact request (counted with "
        "the model's tokenizer), the output cap, prices, whether it fits the model's window and, when it does not, "
        "the compression it would go through. Nothing is spent.",
        {
            "200": _json("The estimate.", "Estimate"),
            "400": _error("`bad_request`, `unknown_model` (the detail suggests close names) or `model_unavailable` "
                          "(the detail names the variable to set)."),
            "404": _error("No such run in the token's team."),
            "409": _error("The run is not `ready` yet (`run_not_ready`)."),
        },
        scopes=["read", "full"],
        parameters=[_RUN_ID],
        request_body={
            "required": True,
            "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["model"],
                "properties": {
                    "model": {"type": "string", "minLength": 1, "pattern": "\\S"},
                    "compression": {"type": "string", "enum": ["auto", "native", "summarize", "off"], "default": "auto"},
                    "turn": {"type": "integer", "description": "default: the first turn"},
                    "attempt": {"type": "integer", "description": "default: the turn's accepted attempt"},
                },
            }}},
        },
    ),
}
PATHS["/estimate"] = {
    "post": operation(
        "Estimate an archive before uploading it",
        "The body of `POST /runs` (a .zip, .tar.gz or .tgz of a MassGen `log_*` folder in the multipart field `file`) "
        "plus the form field `model` (and optionally `compression`): what analysing that run would cost, in the shape "
        "of `POST /runs/{run_id}/estimate`. The archive is checked and read as an upload is (same limits), in a "
        "temporary folder removed before the answer; no run is stored and nothing is spent. `debrief ci upload "
        "--analyze` asks this first, so a run over `--max-cost` is never uploaded.",
        {
            "200": _json("The estimate.", "Estimate"),
            "400": _error("`bad_request` (not multipart, no `file` or no `model`, a bad `compression`), `bad_upload` "
                          "(not an archive, or no MassGen run in it), `unknown_model` or `model_unavailable`."),
            "413": _error("Over an upload limit (DEBRIEF_MAX_UPLOAD_BYTES, DEBRIEF_MAX_UPLOAD_FILES); the detail names it."),
        },
        scopes=["upload", "read", "full"],
        request_body={
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file", "model"], "properties": {
                "file": {"type": "string", "format": "binary", "minLength": 1,
                         "description": "the archive; its name ends .zip, .tar.gz or .tgz"},
                "model": {"type": "string", "minLength": 1, "pattern": "\\S"},
                "compression": {"type": "string", "enum": ["auto", "native", "summarize", "off"], "default": "auto"},
            }}}},
        },
    ),
}
COMPONENTS["schemas"] |= {
    "Model": {
        "type": "object",
        "required": ["name", "provider", "available", "unavailable_reason", "context_window", "max_output_tokens",
                     "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "supports_reasoning",
                     "supports_native_compaction", "is_default"],
        "properties": {
            "name": {"type": "string"},
            "provider": {"type": "string"},
            "available": {"type": "boolean"},
            "unavailable_reason": _NULLABLE_STRING,
            "context_window": {"type": "integer"},
            "max_output_tokens": {"type": "integer"},
            "input_usd_per_mtok": {**_NUMBER_OR_NULL, "description": "null when the price is unknown"},
            "output_usd_per_mtok": {**_NUMBER_OR_NULL, "description": "null when the price is unknown"},
            "cached_input_usd_per_mtok": _NUMBER_OR_NULL,
            "supports_reasoning": {"type": "boolean"},
            "supports_native_compaction": {"type": "boolean"},
            "is_default": {"type": "boolean"},
            "api": {"type": "string", "enum": ["responses", "chat", "offline"]},
            "custom": {"type": "boolean"},
            "listed_live": {"type": "boolean"},
            "availability_note": {**_NULLABLE_STRING, "description": "`not confirmed: ...` when the endpoint's "
                                  "model list could not be read; a model it does not list is unavailable, "
                                  "`not offered by this endpoint`."},
            "price_known": {"type": "boolean", "description": "false for a model only its endpoint's list names "
                            "(a self-hosted server's own): custom, prices null; give it a price in the models file"},
        },
    },
    "Estimate": {
        "type": "object",
        "required": ["model", "input_tokens", "output_tokens", "input_usd", "output_usd", "total_usd", "context_window",
                     "fits_context", "compression", "recommendation"],
        "properties": {
            "model": {"type": "string"},
            "input_tokens": {"type": "integer", "description": "of the exact request, uncompressed"},
            "output_tokens": {"type": "integer", "description": "the analysis's output cap"},
            "cached_input_tokens": {"type": "integer"},
            "input_usd": _MONEY,
            "output_usd": _MONEY,
            "total_usd": _MONEY,
            "input_usd_per_mtok": {**_NUMBER_OR_NULL, "description": "null when the price is unknown"},
            "output_usd_per_mtok": {**_NUMBER_OR_NULL, "description": "null when the price is unknown"},
            "cached_input_usd_per_mtok": _NUMBER_OR_NULL,
            "context_window": {"type": "integer"},
            "output_reserve_tokens": {"type": "integer"},
            "safety_margin_tokens": {"type": "integer"},
            "fits_context": {"type": "boolean"},
            "compression": {"type": "object", "nullable": True, "description": "null when the run fits", "properties": {
                "requested": {"type": "string", "enum": ["auto", "native", "summarize", "off"]},
                "possible": {"type": "boolean", "description": "false: nothing makes the run fit (see reason)"},
                "strategy": {**_NULLABLE_STRING, "enum": ["none", "native", "summarize", None]},
                "reason": _NULLABLE_STRING,
                "calls": {"type": "array", "items": {"type": "object", "properties": {
                    "purpose": {"type": "string"}, "model": {"type": "string"}, "input_tokens": {"type": "integer"},
                    "output_tokens": {"type": "integer"}, "usd": _MONEY}}},
                "compression_usd": _NUMBER_OR_NULL,
                "total_usd": {**_NUMBER_OR_NULL, "description": "compression plus the analysis call"},
                "final_input_tokens": {"type": "integer", "nullable": True},
                "budget_tokens": {"type": "integer", "nullable": True},
            }},
            "recommendation": {"type": "object", "properties": {
                "default_model": {"type": "string"},
                "cheapest_fitting_model": _NULLABLE_STRING,
                "cheapest_fitting_total_usd": _NUMBER_OR_NULL,
                "needs_compression": {"type": "boolean"},
                "exceeds_cost_threshold": {"type": "boolean"},
                "cost_warning_usd": _MONEY,
                "warnings": {"type": "array", "items": {"type": "string"}},
            }},
            "price_known": {"type": "boolean", "description": "false: the model has no price, so the dollar figures "
                            "are 0 and mean unknown; `price_note` says how to give it one"},
            "price_note": _NULLABLE_STRING,
        },
    },
}
# --- end of Models and estimates ------------------------------------------------------

# --- Audit log ----------------------------------------------------------------------
PATHS["/audit"] = {
    "get": operation(
        "Read the audit log",
        "Who did what in the token's team, newest first: uploads, imports, deletions, analyses requested and "
        "cancelled, share links, API tokens, members, budget, retention and prunes. Entries are never changed; "
        "another team's are never shown. Page with `cursor` (the `next_cursor` of the previous page).",
        {
            "200": _json("A page of entries.", "AuditPage"),
            "400": _error("`bad_query`: an unknown or empty `action`, a `limit` out of range or a `cursor` this API did not give out."),
        },
        scopes=["full"],
        parameters=[
            _query("actor", "only entries by this actor name (a username, `token NAME (dbr_…abcd)`, `operator` or `system`)", {"type": "string", "maxLength": 150}),
            _query("action", "only entries of this action", {"type": "string", "enum": list(Action.values)}),
            _query("limit", "entries per page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
            _query("cursor", "where the previous page ended", {"type": "string", "pattern": "^[0-9]{1,18}$"}),
        ],
    ),
}
COMPONENTS["schemas"] |= {
    "AuditEntry": {
        "type": "object",
        "required": ["id", "at", "actor", "action", "target", "details"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "object", "required": ["kind", "id", "name"], "properties": {
                "kind": {"type": "string", "enum": list(ActorKind.values)},
                "id": {"type": "integer", "nullable": True, "description": "the user's or the token's id; null for operator and system"},
                "name": {"type": "string"},
            }},
            "action": {"type": "string", "enum": list(Action.values)},
            "target": {"type": "string", "description": "what was acted on, e.g. `run <uuid>`"},
            "details": {"type": "object", "additionalProperties": True},
        },
    },
    "AuditPage": {
        "type": "object",
        "required": ["results", "next_cursor", "next"],
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
            "next_cursor": _NULLABLE_STRING,
            "next": {**_NULLABLE_STRING, "format": "uri"},
        },
    },
}
# --- end of Audit log -----------------------------------------------------------------


def build_schema(request=None) -> dict:
    server = request.build_absolute_uri("/api/v1") if request is not None else "/api/v1"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Debrief API",
            "version": API_VERSION,
            "description": "Upload MassGen runs from CI and read their summaries. Every error is `{\"error\": code, \"detail\": text}`.",
        },
        "servers": [{"url": server}],
        "paths": deepcopy(PATHS),
        "components": deepcopy(COMPONENTS),
    }


def endpoints() -> list[dict]:
    """The operations, flattened for the docs page."""
    return [
        {
            "method": method.upper(),
            "path": f"/api/v1{path}",
            "summary": op["summary"],
            "description": op["description"],
            "scopes": op.get("x-scopes"),
            "parameters": op.get("parameters", []),
            "responses": sorted(op["responses"].items()),
        }
        for path, operations in PATHS.items()
        for method, op in operations.items()
    ]
