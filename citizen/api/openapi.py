"""The OpenAPI 3.1 document of API v1 (hand-written: the API is small and this is its contract).

Every status an operation can answer is listed, each error with the one Error body `{"code", "message",
"details"?}`; tests/test_api_fuzz.py holds the API to this document with schemathesis."""

from citizen.api.openapi_parts import (  # noqa: F401 - MAX_ID and TASK_ROUTE_ID are imported from here too
    BOOLEAN, CONTRIBUTOR, ERRORS, EXCLUDE, INTEGER, MAX_ID, MAX_REDUNDANCY, NEXT_RESPONSES, NULLABLE_STRING,
    OPTIONAL, ORGANISER, POST_ID, PREDICTION_PATHS, PUBLIC, SLUG, STRING, TASK_ERRORS, TASK_ID, TASK_ROUTE_ID,
    TRAINING_PATHS, TRAINING_STEP, _body, _error, _errors, _object, _ok, _thread_read, _thread_write)


PATHS = {
    "/openapi.json": {"get": {"summary": "This document", "security": PUBLIC,
                              "responses": {"200": _ok("The OpenAPI 3.1 document", {"type": "object"})}}},
    "/guests": {"post": {
        "summary": "Create an anonymous contributor and return its bearer token (rate limited per IPv4 address or "
                   "IPv6 /64, and per IPv4 /24 or IPv6 /48; a campaign's event code counts the guest against the "
                   "code instead)",
        "security": PUBLIC,
        "parameters": [{"name": "event", "in": "query", "required": False,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{4,16}$", "maxLength": 16},
                        "description": "an event code an organiser made for a campaign"}],
        "responses": {
            "201": _ok("A token", _object({"token": STRING}, ["token"])),
            **_errors(429, s429="Too many guests from this address or network (code rate_limited); the Retry-After header "
                                "says when to try again")}}},
    "/campaigns": {
        "get": {"summary": "Published campaigns", "security": PUBLIC, "responses": {
            "200": _ok("Campaigns", _object({"campaigns": {"type": "array",
                                                           "items": {"$ref": "#/components/schemas/Campaign"}}}))}},
        "post": {"summary": "Create a draft campaign (organiser)", "security": ORGANISER,
                 "requestBody": _body({"$ref": "#/components/schemas/CampaignInput"}),
                 "responses": {"201": _ok("Created", _object({"slug": STRING, "status": STRING}, ["slug"])),
                               **_errors(400, 401, 403, 409, 413, 422, s403="Not an organiser (of that organisation)",
                                         s409="The address was taken by a concurrent request; send it again")}}},
    "/campaigns/{slug}": {"get": {
        "summary": "One campaign (drafts only for their organisers)", "security": OPTIONAL, "parameters": [SLUG],
        "responses": {"200": _ok("Campaign", {"$ref": "#/components/schemas/Campaign"}),
                      **_errors(401, 404, s404="No such campaign")}}},
    "/campaigns/{slug}/tasks": {"post": {
        "summary": "Import tasks: a JSON list (or {\"tasks\": [...]}) or a multipart CSV/JSON file (or what the "
                   "kind reads: an area, photos, PDFs); all or nothing. Parts a kind leaves out while the rest "
                   "imports (a damaged PDF in a ZIP) are listed in warnings",
        "security": ORGANISER, "parameters": [SLUG],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"oneOf": [
                {"type": "array", "items": {"type": "object"}},
                _object({"tasks": {"type": "array", "items": {"type": "object"}}}, ["tasks"])]}},
            "multipart/form-data": {"schema": _object({"file": {"type": "string", "format": "binary"}},
                                                      ["file"])}}},
        "responses": {"201": _ok("Imported", _object({
            "imported": INTEGER, "tasks_total": INTEGER,
            "warnings": {"type": "array", "items": _object({"line": INTEGER, "message": STRING})}})),
            **_errors(400, 401, 403, 404, 413, 422, s403="Not an organiser of this campaign",
                      s422="Bad lines, each with its line number in details")}}},
    "/campaigns/{slug}/publish": {"post": {
        "summary": "Publish a campaign", "security": ORGANISER, "parameters": [SLUG], "responses": {
            "200": _ok("Published", {"$ref": "#/components/schemas/Campaign"}),
            **_errors(400, 401, 403, 404, 409, s403="Not an organiser of this campaign", s409="No tasks yet")}}},
    "/campaigns/{slug}/tasks/next": {
        "get": {
            "summary": "Lease the next task for the caller (Bearer token only: a GET never makes a guest or takes a "
                       "lease for a browser's cookie, which another site could make it send)",
            "security": CONTRIBUTOR, "parameters": [SLUG, EXCLUDE],
            "responses": {**NEXT_RESPONSES, **_errors(405, s405="No Bearer token: a browser asks with POST "
                                                               "(code use_post)")}},
        "post": {
            "summary": "Lease the next task for the caller; without a token a browser becomes a guest kept in its "
                       "cookie (with the page's CSRF token)",
            "security": OPTIONAL, "parameters": [SLUG, EXCLUDE], "responses": NEXT_RESPONSES}},
    "/campaigns/{slug}/leases/extend": {"post": {
        "summary": "Still here: the caller's live leases in the campaign last the lease time again (up to a limit)",
        "security": CONTRIBUTOR, "parameters": [SLUG],
        "responses": {"200": _ok("Extended", _object({"extended": INTEGER}, ["extended"])),
                      **_errors(400, 401, 404)}}},
    "/campaigns/{slug}/leases/release": {"post": {
        "summary": "The caller left: give back every live lease it holds in the campaign",
        "security": CONTRIBUTOR, "parameters": [SLUG],
        "responses": {"200": _ok("Released", _object({"released": INTEGER}, ["released"])),
                      **_errors(400, 401, 404)}}},
    "/tasks/{task_id}/answers": {"post": {
        "summary": "Answer a task that was handed to the caller", "security": CONTRIBUTOR,
        "parameters": [TASK_ID, {"name": "Idempotency-Key", "in": "header", "schema": STRING,
                                 "description": "a retry with the same key returns the first response"}],
        "requestBody": _body(_object({
            "value": {"description": "the answer; for a question task one of its options"},
            "duration_ms": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "description": (
                "optional: the time the caller spent. The server measures the time since the task was handed out "
                "(its lease); the shorter of the two counts. An answer on a lease that expired or was given back "
                "is stored but carries no weight.")}}, ["value"])),
        "responses": {"201": _ok("Stored", {"$ref": "#/components/schemas/AnswerResult"}),
                      **_errors(*TASK_ERRORS, 409, 413, 422, 429,
                                s403="The task was not handed to this contributor (code not_assigned)",
                                s409="Already answered, the task is complete, the campaign is closed, or the "
                                     "Idempotency-Key was used for another answer",
                                s422="Invalid answer", s429="Capped (code capped)")}}},
    "/tasks/{task_id}/answers/mine": {"put": {
        "summary": "Change the caller's last answer in its campaign, within 10 minutes of giving it (Back on the "
                   "work page). The same rule for every task, so a refusal never says which tasks are known-answer "
                   "or decided.", "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "requestBody": _body(_object({"value": {"description": "the new answer"}}, ["value"])),
        "responses": {"200": _ok("Changed: the answer as it now reads (the same reply when it was already so)",
                                 _object({"answer": {"type": "object"}}, ["answer"])),
                      **_errors(*TASK_ERRORS, 409, 413, 422, 429,
                                s404="No such task, or the caller has not answered it",
                                s429="More than 6 changes in 10 minutes (code rate_limited)",
                                s409="Not the caller's last answer in the campaign (code not_last), given more "
                                     "than 10 minutes ago (code too_late), or the campaign is closed",
                                s422="Invalid answer")}}},
    "/tasks/{task_id}/skip": {"post": {
        "summary": "Give a leased task back", "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "responses": {"200": _ok("Skipped", _object({"skipped": INTEGER}, ["skipped"])),
                      **_errors(*TASK_ERRORS, 409, s403="Not handed out (code not_assigned)",
                                s409="Already answered (code already_answered)")}}},
    "/campaigns/{slug}/answers/import": {"post": {
        "summary": "Import answers collected elsewhere (organiser); all or nothing",
        "security": ORGANISER, "parameters": [SLUG],
        "requestBody": _body(_object({"answers": {"type": "array", "items": _object({
            "task_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "external_id": STRING,
            "contributor": STRING, "value": {}, "duration_ms": {"type": "integer", "minimum": 0, "maximum": MAX_ID}},
            ["contributor", "value"])}}, ["answers"])),
        "responses": {"201": _ok("Imported", _object({"imported": INTEGER}, ["imported"])),
                      **_errors(400, 401, 403, 404, 409, 413, 422, s403="Not an organiser of this campaign",
                                s409="One of the answers was stored by a concurrent request (code already_answered)",
                                s422="Bad answers, listed in details")}}},
    "/campaigns/{slug}/results": {"get": {
        "summary": "Consensus per task, in task id order, paged with ?after=<task_id>", "security": OPTIONAL,
        "parameters": [SLUG, {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                                         "maximum": MAX_ID}},
                       {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 5000}}],
        "responses": {"200": _ok("Results", _object({
            "campaign": STRING, "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
            "next_after": {"type": ["integer", "null"]},
            "consensus_build": {"type": "object", "description": (
                "Kinds with fixed answers: the Dawid-Skene columns come from the campaign's last complete build "
                "(made off the request after answers arrive). state: current, behind (a newer build is coming "
                "when pending is true) or preparing (none yet); built_at, data_version, answers."),
                "properties": {"state": {"enum": ["current", "behind", "preparing"]}, "pending": {"type": "boolean"},
                               "built_at": STRING, "data_version": STRING, "answers": INTEGER}}},
            ["results", "next_after"])),
            **_errors(401, 404, 422, s422="after or limit is not a whole number in range")}}},
    "/campaigns/{slug}/quality": {"get": {
        "summary": "Anti-skew report (organisers and moderators): linked-account clusters with evidence, "
                   "leave-one-out influence, contributors flagged for fast answers, gold reliability",
        "security": ORGANISER, "parameters": [SLUG],
        "responses": {"200": _ok("Report", {"type": "object"}),
                      **_errors(401, 403, 404, s403="Not staff of this campaign")}}},
    # Wellbeing (citizen.wellbeing.views): consent, reveal, reports, ratings.
    "/me/preferences": {
        "get": {"summary": "The caller's content settings (defaults when never chosen)", "security": OPTIONAL,
                "responses": {"200": _ok("Preferences", {"$ref": "#/components/schemas/PreferencesOut"}),
                              **_errors(401)}},
        "put": {"summary": "Replace the caller's content settings (a category left out: blur with a reveal)",
                "security": OPTIONAL, "requestBody": _body({"$ref": "#/components/schemas/Preferences"}),
                "responses": {"200": _ok("Saved", {"$ref": "#/components/schemas/PreferencesOut"}),
                              **_errors(400, 401, 409, 413, 422, 429, s422="Unknown category or choice",
                                        s409="Saved by a concurrent request of the same caller; send it again",
                                        s429="Too many new guests from this address (a caller without a token "
                                             "or cookie becomes one; code rate_limited)")}}},
    "/me/wellbeing": {"get": {
        "summary": "The caller's exposure budget: break suggested, sensitive items paused", "security": OPTIONAL,
        "responses": {"200": _ok("Budget (null without an identity)", _object({
            "budget": {"oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}]}}, ["budget"])),
            **_errors(401)}}},
    "/tasks/{task_id}/reveal": {"post": {
        "summary": "The original of a blurred task (its image_url, text or pages); counts as a view for the budget",
        "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "responses": {"200": _ok("The original", _object({
            "task_id": INTEGER, "image_url": {"type": ["string", "null"]}, "reveal": {"type": "object"},
            "budget": {"$ref": "#/components/schemas/Budget"}})),
            **_errors(*TASK_ERRORS, 409, s403="Not handed to the caller, or withheld by their settings",
                      s409="Sensitive items are paused for the caller (code paused)")}}},
    "/tasks/{task_id}/flags": {"post": {
        "summary": "Report a task shown to the caller as more upsetting than rated (once per task; at most 10 "
                   "per 10 minutes and 50 per campaign and day). Moderators see it at once; the item is re-rated "
                   "only when the campaign's threshold of independent flaggers (distinct devices) is reached",
        "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "requestBody": _body(_object({"level": {"type": "string", "enum": ["mild", "graphic", "extreme"]},
                                      "note": NULLABLE_STRING}, ["level"])),
        "responses": {"201": _ok("Reported", _object({
            "task_id": INTEGER, "flagged": STRING, "re_rated": BOOLEAN, "under_review": BOOLEAN,
            "rating": {"type": "object"}, "review_level": {"type": ["string", "null"]},
            "flaggers": INTEGER, "needed": INTEGER})),
            **_errors(*TASK_ERRORS, 409, 413, 422, 429, s403="Not shown to the caller (code not_assigned)",
                      s409="Already reported (code already_flagged)", s422="Not above the current rating",
                      s429="Too many reports from the caller for now (code too_many_flags)")}}},
    "/tasks/{task_id}/rating": {"post": {
        "summary": "Rate a task (organisers and moderators of its campaign); settles a review",
        "security": ORGANISER, "parameters": [TASK_ID],
        "requestBody": _body(_object({
            "level": {"type": "string", "enum": ["none", "mild", "graphic", "extreme"]},
            "categories": {"oneOf": [{"type": "array", "items": STRING}, STRING, {"type": "null"}],
                           "description": "injury, death, violence, distress_text (a list, or names separated "
                                          "by ;); other names become other"},
            "custom_label": STRING}, ["level"])),
        "responses": {"200": _ok("Rated", _object({"task_id": INTEGER, "rating": {"type": "object"},
                                                   "source": STRING, "under_review": BOOLEAN})),
                      **_errors(*TASK_ERRORS, 413, 422, s403="Not staff of this campaign", s422="Unknown level")}}},
    # Moderation (citizen.moderation.views): a volunteer's report of abuse or personal data.
    "/tasks/{task_id}/reports": {"post": {
        "summary": "Report a task shown to the caller as abusive or showing personal data (once per reason; "
                   "for upsetting content use flags)",
        "security": CONTRIBUTOR, "parameters": [TASK_ID],
        "requestBody": _body(_object({"reason": {"type": "string", "enum": ["abusive", "personal_data"]},
                                      "note": NULLABLE_STRING}, ["reason"])),
        "responses": {"201": _ok("Reported", _object({"id": INTEGER, "task_id": INTEGER, "reason": STRING})),
                      **_errors(*TASK_ERRORS, 409, 413, 422, s403="Not shown to the caller (code not_assigned)",
                                s409="Already reported for this reason (code already_reported)",
                                s422="Unknown reason")}}},
    # Talk (citizen.talk.views): a discussion thread per campaign and per task.
    "/campaigns/{slug}/talk": {"get": _thread_read("The campaign's own discussion"),
                               "post": _thread_write("Post in the campaign's discussion")},
    "/campaigns/{slug}/tasks/{task_id}/talk": {
        "get": _thread_read("One task's discussion", task=True),
        "post": _thread_write("Post in a task's discussion; needs_expert (or #needs-expert in the text) puts the "
                              "task in the moderators' queue", task=True)},
    "/talk/posts/{post_id}/reports": {"post": {
        "summary": "Report a post as abusive, spam or showing personal data (signed-in accounts; once per post, "
                   "a few a day)",
        "security": CONTRIBUTOR, "parameters": [POST_ID],
        "requestBody": _body(_object({"reason": {"type": "string", "enum": ["abusive", "spam", "personal_data"]}},
                                     ["reason"])),
        "responses": {"201": _ok("Reported", _object({"post_id": INTEGER, "reason": STRING}, ["post_id"])),
                      **_errors(400, 401, 403, 404, 409, 413, 422, 429, s403="A guest: an account reports posts",
                                s404="No such post", s409="Already reported by the caller (code already_reported)",
                                s422="Unknown reason", s429="Too many reports today (code too_many_reports)")}}},
    "/talk/posts/{post_id}/hide": {"post": {
        "summary": "Hide a post (the organisation's moderators and organisers; kept in the audit log with the reason)",
        "security": ORGANISER, "parameters": [POST_ID],
        "requestBody": _body(_object({"reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
                                     ["reason"])),
        "responses": {"200": _ok("Hidden", {"$ref": "#/components/schemas/Post"}),
                      **_errors(400, 401, 403, 404, 409, 413, 422, s403="Not staff of the post's organisation",
                                s404="No such post", s409="Already hidden (code already_hidden)",
                                s422="No reason given")}}},
}

# Any operation can fail on the server's side, and any that reads the database can find it away.
for _item in PATHS.values():
    for _operation in _item.values():
        _operation["responses"].update(_errors(500, 503))

PATHS.update(TRAINING_PATHS)
PATHS.update(PREDICTION_PATHS)

SCHEMAS = {
    "Error": _object({
        "code": {"type": "string", "description": "stable, for programs"},
        "message": {"type": "string", "description": "plain language, for people"},
        "details": {"type": "array", "items": {"type": "object"}}}, ["code", "message"]),
    "Campaign": _object({
        "slug": STRING, "kind": STRING, "title": STRING, "summary": STRING, "status": STRING, "licence": STRING,
        "redundancy": INTEGER, "tasks_total": INTEGER, "tasks_done": INTEGER, "progress": {"type": "number"},
        "url": STRING}),
    "CampaignInput": _object({
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "kind": {"type": "string", "enum": ["question"], "description": "one of the kinds this server runs"},
        "summary": {"type": "string", "maxLength": 500}, "description": {"type": "string", "description": "Markdown"},
        "tutorial": {"type": "string", "description": "Markdown"},
        "redundancy": {"type": "integer", "minimum": 1, "maximum": MAX_REDUNDANCY},
        "licence": {"type": "string", "enum": ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0"]},
        "organisation_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "slug": {"type": "string", "description": "wanted address (made from the title when left out)"},
        "settings": {"type": "object", "description": "the kind's settings; question: {question, options}"},
        "escalate_on": {"description": "answers that alert the moderators at once (also settings.escalate_on)"},
        "quality": {"type": "object", "description": "quality controls (also settings.quality)"},
        "wellbeing": {"type": "object", "description": "expected content rating (also settings.wellbeing)"},
        "outcome": {"description": "what happens with the results (also settings.outcome)"}},
        ["title", "kind"]),
    "Task": _object({
        "id": INTEGER, "kind": STRING, "campaign": STRING,
        "done": {"type": "integer", "description": "answers given by the caller"},
        "warning": {"type": "string", "description": "content warning, for rated tasks"},
        "blurred": {"type": "boolean", "description": "image_url is a blurred copy; POST reveal_url for the original"},
        "blurred_url": STRING, "reveal_url": STRING,
        "content": {"type": "object", "description": "the rating: level, categories, custom_label, under_review"},
        "budget": {"$ref": "#/components/schemas/Budget"},
        "prediction": {"description": "a model's prediction shown as a starting point (campaigns that show them; "
                                      "never on the audit sample)", **_object({
                                          "answer": {}, "label": STRING, "confidence": {"type": "number"}})},
        "training": {"description": "present on a training task (tutorial or qualification), which comes before "
                                    "any work: answer it at its answer_url", **TRAINING_STEP}}, ["id", "kind"]),
    "Preferences": _object({
        "choices": {"type": "object", "additionalProperties": {"type": "string", "enum": ["show", "blur", "withhold"]},
                    "propertyNames": {"enum": ["injury", "death", "violence", "distress_text", "other"]},
                    "description": "per category: injury, death, violence, distress_text, other"},
        "extreme_opt_in": BOOLEAN}),
    "PreferencesOut": _object({
        "choices": {"type": "object", "additionalProperties": {"type": "string", "enum": ["show", "blur", "withhold"]}},
        "extreme_opt_in": BOOLEAN,
        "categories": {"type": "array", "items": _object({"value": STRING, "label": STRING})}},
        ["choices", "extreme_opt_in"]),
    "Budget": _object({
        "load": {"type": "number"}, "suggest_break": BOOLEAN, "paused": BOOLEAN,
        "until": {"type": ["string", "null"]}, "message": STRING}),
    "AnswerResult": _object({
        "answer": {"type": "object"}, "done": INTEGER, "task_complete": BOOLEAN,
        "feedback": {"type": ["object", "null"], "description": (
            "The same fields for every task: a response never says whether the task had a known (gold) answer, nor "
            "what it is. On every tenth answer, a summary of the caller's record on known-answer tasks so far: "
            "checked (how many they answered), agreed (how many matched); null otherwise."),
            "properties": {"checked": INTEGER, "agreed": INTEGER}},
        "counted": {"type": "boolean", "description": "present (false) when the answer is kept but does not count: "
                                                      "given before the campaign's qualification was passed"}}),
    "Post": _object({
        "id": INTEGER, "author": {"type": "string", "description": "a display name or a handle; never an e-mail"},
        "staff_role": {"type": ["string", "null"], "description": "organiser or moderator when staff wrote it"},
        "created_at": STRING, "html": {"type": ["string", "null"], "description": "sanitised HTML (null when hidden)"},
        "needs_expert": BOOLEAN, "hidden": BOOLEAN, "task_id": {"type": ["integer", "null"]}},
        ["id", "author", "html", "hidden"]),
    "Thread": _object({
        "campaign": STRING, "task_id": {"type": ["integer", "null"]},
        "posts": {"type": "array", "items": {"$ref": "#/components/schemas/Post"}},
        "next_after": {"type": ["integer", "null"], "description": "pass as ?after= for the next page"}},
        ["posts", "next_after"]),
    "Result": _object({
        "task_id": INTEGER, "external_id": {"type": ["string", "null"]}, "answer": {},
        "count": {"type": ["number", "null"], "description": "votes for `answer` in the plain tally (null when the "
                  "batch consensus published another answer than the tally's leader)"},
        "share": {"type": ["number", "null"], "description": "their share of the votes (null like count)"}, "answers": {"type": "integer", "description": (
            "answers stored; while the campaign is open, shown to others than its staff capped at the redundancy")},
        "redundancy": INTEGER, "complete": BOOLEAN, "tied": BOOLEAN,
        "gold": {"type": ["boolean", "null"], "description": (
            "whether the task has a known answer used to check volunteers: null for the public while the campaign "
            "is open (a gold task then reads like any other: the crowd's answer, never the known one)")},
        "decided": {"type": "boolean", "description": "settled: enough independent answers agreed, or the batch "
                    "consensus is confident; a task settled by agreement is handed out no more"},
        "method": {"type": "string", "description": (
            "what decided the answer (or would, while undecided): dawid-skene (the model weighing each volunteer "
            "by their record), unanimous (every counted volunteer, at least three after linked accounts count as "
            "one, gave it), gold (a known answer, shown to the public once the campaign is closed), agreement "
            "(enough independent answers agreed; transcription: field by field), majority (the plain vote share, "
            "never decided by itself) or moderator; absent for a task without answers")},
        "under_review": {"type": "boolean", "description": (
            "later answers would change a result decided when enough independent answers agreed: moderators are "
            "asked to settle it (the answer published meanwhile: the batch consensus for kinds with fixed "
            "answers, else the decided answer)")}}),
}


def _answer_value(kinds):
    """The schemas of an answer value, one per kind (named <kind>Answer, with the kind's limits:
    Kind.answer_schema), and the `value` of an answer body: any of them."""
    named = {f"{kind_id}Answer": kind.answer_schema() for kind_id, kind in kinds.items()}
    value = {"description": "the answer, as the task's kind takes it (each kind's schema states its limits)",
             "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in named]}
    return named, value


def _tasks(kinds):
    """One schema per kind of the task JSON (named <kind>Task: the fields every task has, and the kind's own:
    Kind.task_schema), and the Task a contributor is handed: any of them."""
    named = {f"{kind_id}Task": {"allOf": [{"$ref": "#/components/schemas/TaskCommon"}, {
        "type": "object", "properties": {"kind": {"const": kind_id}, **kind.task_schema()}}]}
        for kind_id, kind in kinds.items()}
    task = {"description": "a task: its id, kind and the kind's payload",
            "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in named]}
    return {**named, "TaskCommon": SCHEMAS["Task"], "Task": task}


def _with_answer_value(paths, value):
    """PATHS with `value` as the answer value of the answer and answer-import bodies."""
    answer = paths["/tasks/{task_id}/answers"]["post"]
    body = answer["requestBody"]["content"]["application/json"]["schema"]
    answer = {**answer, "requestBody": _body({**body, "properties": {**body["properties"], "value": value}})}
    imported = paths["/campaigns/{slug}/answers/import"]["post"]
    body = imported["requestBody"]["content"]["application/json"]["schema"]
    items = body["properties"]["answers"]["items"]
    answers = {**body["properties"]["answers"], "items": {**items, "properties": {**items["properties"],
                                                                                     "value": value}}}
    imported = {**imported, "requestBody": _body({**body, "properties": {**body["properties"], "answers": answers}})}
    change = paths["/tasks/{task_id}/answers/mine"]["put"]
    body = change["requestBody"]["content"]["application/json"]["schema"]
    change = {**change, "requestBody": _body({**body, "properties": {**body["properties"], "value": value}})}
    return {**paths, "/tasks/{task_id}/answers": {"post": answer}, "/tasks/{task_id}/answers/mine": {"put": change},
            "/campaigns/{slug}/answers/import": {"post": imported}}


def spec(kinds=None):
    """The document; `kinds` (the ids this server registered, or {id: Kind}) fills CampaignInput's kind enum,
    and given as {id: Kind} the schema of answer values, one per kind with its limits."""
    schemas, paths = SCHEMAS, PATHS
    if kinds:
        campaign_input = {**SCHEMAS["CampaignInput"], "properties": {
            **SCHEMAS["CampaignInput"]["properties"], "kind": {**SCHEMAS["CampaignInput"]["properties"]["kind"],
                                                               "enum": list(kinds)}}}
        schemas = {**SCHEMAS, "CampaignInput": campaign_input}
    if hasattr(kinds, "items"):
        named, value = _answer_value(kinds)
        schemas = {**schemas, **named, **_tasks(kinds)}
        paths = _with_answer_value(paths, value)
        for kind in kinds.values():  # a kind's own routes (the field kind's nearby sites and photo uploads)
            paths = {**paths, **kind.api_paths()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "citizen API", "version": "1.0.0",
                 "description": "Volunteer microtasking campaigns. Errors are JSON with a stable `code`: "
                                "`{\"code\", \"message\", \"details\"?}`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": _every_operation_refuses_malformed(paths),
    }


def _every_operation_refuses_malformed(paths):
    """400 belongs to every operation: the NUL guard (citizen.security) answers it before any view runs."""
    return {path: {method: {**op, "responses": {"400": _error(ERRORS[400]), **op["responses"]}}
                   for method, op in item.items()} for path, item in paths.items()}
