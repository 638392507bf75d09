"""Building blocks of the OpenAPI document (citizen.api.openapi): the shared parameters, schemas and error
responses its paths are written with."""

from citizen.campaigns.models import MAX_INT as MAX_ID
from citizen.campaigns.services import MAX_REDUNDANCY

# Ids are PostgreSQL `integer` columns: a path id beyond int4 can name nothing (404, never an overflow).
TASK_ROUTE_ID = f"<int(max={MAX_ID}):task_id>"  # the route converter of every /tasks/<task_id>/... view

ERRORS = {
    400: "Malformed request: a NUL character or a malformed integer anywhere in the request (code bad_request), "
         "or a write from a signed-in browser session without a valid CSRF token (code csrf)",
    401: "The bearer token is not valid (code unauthorized), expired (code token_expired) or revoked (code "
         "token_revoked), or no identity was sent where one is needed",
    403: "This caller may not do that",
    404: "No such campaign or task (code not_found)",
    409: "Conflicts with what is stored",
    413: "The request body is larger than the server accepts (code too_large)",
    422: "Invalid input; the fields at fault are listed in details",
    405: "Not taken with this method",
    429: "Too many requests",
    500: "A fault on the server's side, logged (code server_error)",
    503: "The database is briefly unavailable: retry after Retry-After seconds (code unavailable)",
}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _errors(*statuses, **descriptions):
    """Error responses: each status with its default description, or the one given as s409="..."."""
    assert {f"s{s}" for s in statuses} >= set(descriptions), "a description for a status not listed"
    return {str(s): _error(descriptions.get(f"s{s}", ERRORS[s])) for s in statuses}


def _ok(description, schema=None):
    out = {"description": description}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _object(properties, required=()):
    out = {"type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return out


INTEGER = {"type": "integer"}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
NULLABLE_STRING = {"type": ["string", "null"]}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": STRING}
TASK_ID = {"name": "task_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
ORGANISER = [{"bearer": []}]  # an organiser's (or moderator's) API token
CONTRIBUTOR = [{"bearer": []}]  # any contributor: a guest token, or an account's API token
OPTIONAL = [{}, {"bearer": []}]  # anyone; without a token a browser becomes a guest kept in its cookie
PUBLIC = []
TASK_ERRORS = (400, 401, 403, 404)  # every operation on /tasks/{task_id}/...

# At most 10 task ids, comma-separated (api.views.MAX_EXCLUDE).
TASK_LIST = {"type": "string", "maxLength": 120, "pattern": "^([0-9]{1,10}(,[0-9]{1,10}){0,9})?$"}
EXCLUDE = {"name": "exclude", "in": "query", "description": "comma-separated ids of the tasks already on screen "
           "(at most 10): passed by, never a way to hold more than two tasks", "schema": TASK_LIST}
NEXT_RESPONSES = {
    "200": _ok("A task", {"$ref": "#/components/schemas/Task"}),
    "204": _ok("Nothing is left for this contributor (or they hold as many tasks as they may)"),
    **_errors(400, 401, 404, 409, 422, 429, s409="The campaign is not open (code campaign_not_open)",
              s422="exclude is not a list of at most 10 task ids",
              s429="Refused before any task is handed out: the caller (or their device) gave this campaign as many "
                   "answers as one may, is suspended or answers known-answer tasks no better than chance (code "
                   "capped); the caller skipped past the campaign's skip budget (code skip_limit); or too many new "
                   "guests from this address or network (code rate_limited)")}

POST_ID = {"name": "post_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
AFTER_POST = {"name": "after", "in": "query", "description": "the last post id of the previous page",
              "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}


def _thread_read(summary, task=False):
    return {"summary": summary + ": its posts, oldest first, 50 a page (anyone who may see the campaign reads it; "
                                 "a hidden post keeps its place without its text)",
            "security": OPTIONAL, "parameters": [SLUG] + ([TASK_ID] if task else []) + [AFTER_POST],
            "responses": {"200": _ok("A page of the thread", {"$ref": "#/components/schemas/Thread"}),
                          **_errors(401, 404, 422, s404="No such campaign, or no such task in it",
                                    s422="after is not a post id")}}


def _thread_write(summary, task=False):
    return {"summary": summary + " (a signed-in account: an API token or the site's session; Markdown, sanitised: "
                                 "no images but the task's own; @moderators or a staff member's @handle notifies "
                                 "them)",
            "security": CONTRIBUTOR, "parameters": [SLUG] + ([TASK_ID] if task else []),
            "requestBody": _body(_object({"body": {"type": "string", "minLength": 1, "maxLength": 5000},
                                          "needs_expert": BOOLEAN}, ["body"])),
            "responses": {"201": _ok("Posted", {"$ref": "#/components/schemas/Post"}),
                          **_errors(400, 401, 403, 404, 413, 422, 429,
                                    s403="A guest (code account_needed), a suspended contributor (code suspended), "
                                         "or a campaign that is not open (code campaign_not_open)",
                                    s404="No such campaign, or no such task in it",
                                    s422="An empty or too long post, or more than 5 people mentioned",
                                    s429="Too many posts for now (code too_many_posts)")}}


# Training (citizen.training): tutorial and qualification tasks come before any work where a campaign has them.
TRAINING_STEP = _object({
    "stage": {"type": "string", "enum": ["tutorial", "qualification"]},
    "step": INTEGER, "steps": INTEGER,
    "attempt": {"type": "integer", "description": "the qualification run (1, 2, ...): a failed run may be taken "
                                                  "again at once; 0 in the tutorial"},
    "pass_mark": {"type": ["integer", "null"], "description": "percent of the run's tasks to answer right"},
    "retraining": {"type": "boolean", "description": "sent back to training by a falling gold record"},
    "answer_url": {"type": "string", "description": "where the answer goes: POST /training/{task_id}/answers"}},
    ["stage", "step", "steps", "answer_url"])
TRAINING_PATHS = {
    "/training/{task_id}/answers": {"post": {
        "summary": "Answer the training task the caller is at (next-task handed it out with a `training` object). "
                   "Tutorial: the feedback says whether it was right, the known answer (expected) and the "
                   "organiser's explanation, whether right or wrong. Qualification: no feedback per task (it would "
                   "hand the answers round); the run's last answer returns its result against the pass mark. Until "
                   "a qualification is passed, answers to the campaign's other tasks are kept with weight 0 "
                   "(reason not_qualified) and their response says counted: false.",
        "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "requestBody": _body(_object({"value": {"description": "the answer, as the task's kind takes it"}},
                                     ["value"])),
        "responses": {"200": _ok("Taken", _object({
            "stage": STRING, "step": INTEGER, "steps": INTEGER, "trained": BOOLEAN,
            "correct": {"type": "boolean", "description": "tutorial only"},
            "expected": {"type": "string", "description": "tutorial only: the known answer, in words"},
            "explanation": {"type": "string", "description": "tutorial only"},
            "result": {"description": "the qualification run's last answer only: passed or not (never how many were "
                                      "right, which would let runs probe the answers one by one)", **_object({
                "passed": BOOLEAN, "total": INTEGER, "pass_mark": INTEGER})}},
            ["stage", "step", "steps", "trained"])),
            **_errors(400, 401, 404, 409, 413, 422, s404="No such training task",
                      s409="Not the caller's next training step (code not_next_training), or the campaign is "
                           "closed", s422="Invalid answer")}}},
    "/campaigns/{slug}/training": {"get": {
        "summary": "The caller's training in a campaign: its stages, where they are, their qualification runs",
        "security": CONTRIBUTOR, "parameters": [SLUG],
        "responses": {"200": _ok("Their training", _object({
            "tutorial": {"type": "integer", "description": "tutorial tasks"},
            "qualification": {"type": "integer", "description": "qualification tasks"},
            "pass_mark": INTEGER, "stage": {"type": "string", "enum": ["tutorial", "qualification", "trained"]},
            "trained": BOOLEAN, "runs": {"type": "array", "items": _object({
                "attempt": INTEGER, "total": INTEGER, "passed": BOOLEAN})}})),
            **_errors(400, 401, 404)}}},
}


# A model in the loop (citizen.predictions): predictions in, routing, outcomes, verified labels out.
_PREDICTION = _object({
    "task_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "external_id": STRING,
    "model": {"type": "string", "maxLength": 100, "description": "the model's version"},
    "answer": {"description": "the predicted answer in the kind's own answer schema (a category; boxes as a "
                              "boxes answer)"},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1}}, ["model", "answer", "confidence"])
ROUTING = _object({
    "model": {"type": "string", "description": "the model version that routes the work"},
    "strategy": {"type": "string", "enum": ["uncertainty", "disagreement", "random"],
                 "description": "uncertainty: least confident first; disagreement: where the other model versions "
                                "disagree with the routing model first; random: the tasks' random order"},
    "audit": {"type": "number", "minimum": 0, "maximum": 1,
              "description": "share of tasks in the random audit sample, never shown with the prediction"},
    "skip_above": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                   "description": "tasks at or above this confidence are left to the model (not shown)"},
    "show": {"type": "boolean", "description": "show volunteers the prediction as a starting point"}})
PREDICTION_PATHS = {
    "/campaigns/{slug}/predictions": {"post": {
        "summary": "Import a model's predictions (organiser's or the model's API token): JSON lines, a JSON list, or "
                   "CSV (text/csv, or a multipart file): task_id or external_id, model, answer, confidence. A boxes "
                   "campaign also takes a detector's COCO output (a document with images, categories and "
                   "annotations, or a results list whose image_id is the task's id; the least sure box's score is "
                   "the task's confidence); a map campaign a GeoJSON FeatureCollection (each feature's properties: task_id, "
                   "external_id or cell, answer (the grade), confidence, model; a task's geometries are its marks). "
                   "All or nothing; the work is routed again",
        "security": ORGANISER, "parameters": [SLUG, {"name": "model", "in": "query", "schema": {
            "type": "string", "maxLength": 100}, "description": "the model's version, for a COCO or GeoJSON "
                                                               "file that does not name it"}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "array", "items": _PREDICTION}},
            "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": _object({"file": {"type": "string", "format": "binary"}})}}},
        "responses": {"201": _ok("Stored", _object({"imported": INTEGER, "routing": ROUTING})),
                      **_errors(400, 401, 403, 404, 413, 422, s403="Not an organiser of this campaign",
                                s422="Bad lines, each with its line number in details")}}},
    "/campaigns/{slug}/predictions/routing": {"put": {
        "summary": "How the predictions route the work", "security": ORGANISER, "parameters": [SLUG],
        "requestBody": _body(ROUTING),
        "responses": {"200": _ok("Saved", ROUTING), **_errors(400, 401, 403, 404, 422)}}},
    "/campaigns/{slug}/predictions/outcomes": {"get": {
        "summary": "Per model version: accuracy estimated on the audit sample with a 95 % Wilson interval, agreement "
                   "on every verified task, the audit sample's confusion matrix, and where model and crowd disagree "
                   "(organisers and moderators)", "security": ORGANISER, "parameters": [SLUG],
        "responses": {"200": _ok("Outcomes", _object({"models": {"type": "array", "items": {"type": "object"}}})),
                      **_errors(400, 401, 403, 404)}}},
    "/campaigns/{slug}/predictions/verified": {"get": {
        "summary": "Labels the crowd verified since a cursor, with the model's prediction and confidence beside each: "
                   "a training pipeline polls with after=<next of the last page>",
        "security": ORGANISER, "parameters": [SLUG, {"name": "after", "in": "query", "schema": {
            "type": "integer", "minimum": 0, "maximum": MAX_ID}}, {"name": "limit", "in": "query", "schema": {
                "type": "integer", "minimum": 1, "maximum": 1000}}],
        "responses": {"200": _ok("A page of labels", _object({"labels": {"type": "array", "items": _object({
            "task_id": INTEGER, "external_id": NULLABLE_STRING, "answer": {}, "share": {"type": ["number", "null"]},
            "answers": INTEGER, "model": NULLABLE_STRING, "prediction": {},
            "confidence": {"type": ["number", "null"]}, "audit": {"type": ["boolean", "null"]},
            "agrees": {"type": ["boolean", "null"]}})}, "next": INTEGER})),
            **_errors(400, 401, 403, 404, 422)}}},
}
