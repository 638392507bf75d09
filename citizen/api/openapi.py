"""The OpenAPI 3.1 document of API v1 (hand-written: the API is small and this is its contract)."""


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description, schema=None):
    out = {"description": description}
    if schema:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ORGANISER = [{"bearer": []}]

PATHS = {
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": _ok("The OpenAPI 3.1 document", {"type": "object"})}}},
    "/guests": {"post": {
        "summary": "Create an anonymous contributor and return its bearer token (rate limited)",
        "security": [], "responses": {
            "201": _ok("A token", {"type": "object", "properties": {"token": {"type": "string"}}}),
            "429": _error("Too many guests from this address")}}},
    "/campaigns": {
        "get": {"summary": "Published campaigns", "security": [], "responses": {
            "200": _ok("Campaigns", {"type": "object", "properties": {
                "campaigns": {"type": "array", "items": {"$ref": "#/components/schemas/Campaign"}}}})}},
        "post": {"summary": "Create a draft campaign (organiser)", "security": ORGANISER,
                 "requestBody": _body({"$ref": "#/components/schemas/CampaignInput"}),
                 "responses": {"201": _ok("Created", {"type": "object", "properties": {"slug": {"type": "string"}}}),
                               "401": _error("No token"), "403": _error("Not an organiser"),
                               "422": _error("Invalid fields, listed in details")}}},
    "/campaigns/{slug}": {"get": {"summary": "One campaign", "parameters": [SLUG], "responses": {
        "200": _ok("Campaign", {"$ref": "#/components/schemas/Campaign"}), "404": _error("No such campaign")}}},
    "/campaigns/{slug}/tasks": {"post": {
        "summary": "Import tasks: a JSON list (or {\"tasks\": [...]}) or a multipart CSV/JSON file (or what the "
                   "kind reads: an area, photos, PDFs); all or nothing. Parts a kind leaves out while the rest "
                   "imports (a damaged PDF in a ZIP) are listed in warnings",
        "security": ORGANISER, "parameters": [SLUG],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"201": _ok("Imported", {"type": "object", "properties": {
            "imported": {"type": "integer"}, "tasks_total": {"type": "integer"},
            "warnings": {"type": "array", "items": {"type": "object", "properties": {
                "line": {"type": "integer"}, "message": {"type": "string"}}}}}}),
            "422": _error("Bad lines, each with its line number in details")}}},
    "/campaigns/{slug}/publish": {"post": {"summary": "Publish a campaign", "security": ORGANISER,
                                           "parameters": [SLUG], "responses": {
        "200": _ok("Published", {"$ref": "#/components/schemas/Campaign"}), "409": _error("No tasks yet")}}},
    "/campaigns/{slug}/tasks/next": {"get": {
        "summary": "Lease the next task for the caller", "parameters": [SLUG, {
            "name": "exclude", "in": "query", "description": "comma-separated task ids already on screen",
            "schema": {"type": "string"}}],
        "responses": {"200": _ok("A task", {"$ref": "#/components/schemas/Task"}),
                      "204": _ok("Nothing is left for this contributor"),
                      "409": _error("The campaign is not open")}}},
    "/tasks/{task_id}/answers": {"post": {
        "summary": "Answer a task that was handed to the caller",
        "parameters": [TASK_ID, {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
                                 "description": "a retry with the same key returns the first response"}],
        "requestBody": _body({"type": "object", "required": ["value"], "properties": {
            "value": {"description": "the answer; for a question task one of its options"},
            "duration_ms": {"type": "integer", "minimum": 0}}}),
        "responses": {"201": _ok("Stored", {"$ref": "#/components/schemas/AnswerResult"}),
                      "403": _error("The task was not handed to this contributor"),
                      "409": _error("Already answered, or the task is complete"),
                      "422": _error("Invalid answer"), "429": _error("Capped")}}},
    "/tasks/{task_id}/skip": {"post": {"summary": "Give a leased task back", "parameters": [TASK_ID],
                                       "responses": {"200": _ok("Skipped"), "403": _error("Not handed out")}}},
    "/campaigns/{slug}/answers/import": {"post": {
        "summary": "Import answers collected elsewhere (organiser); all or nothing",
        "security": ORGANISER, "parameters": [SLUG],
        "requestBody": _body({"type": "object", "properties": {"answers": {"type": "array", "items": {
            "type": "object", "required": ["contributor", "value"], "properties": {
                "task_id": {"type": "integer"}, "external_id": {"type": "string"},
                "contributor": {"type": "string"}, "value": {}, "duration_ms": {"type": "integer"}}}}}}),
        "responses": {"201": _ok("Imported"), "422": _error("Bad answers, listed in details")}}},
    "/campaigns/{slug}/results": {"get": {
        "summary": "Consensus per task, in task id order, paged with ?after=<task_id>",
        "parameters": [SLUG, {"name": "after", "in": "query", "schema": {"type": "integer"}},
                       {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 5000}}],
        "responses": {"200": _ok("Results", {"type": "object", "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
            "next_after": {"type": ["integer", "null"]}}})}}},
    "/campaigns/{slug}/quality": {"get": {
        "summary": "Anti-skew report (organisers and moderators): linked-account clusters with evidence, "
                   "leave-one-out influence, contributors flagged for fast answers, gold reliability",
        "security": ORGANISER, "parameters": [SLUG],
        "responses": {"200": _ok("Report", {"type": "object"}), "403": _error("Not staff of this campaign")}}},
    # Wellbeing (citizen.wellbeing.views): consent, reveal, reports, ratings.
    "/me/preferences": {
        "get": {"summary": "The caller's content settings (defaults when never chosen)",
                "responses": {"200": _ok("Preferences", {"$ref": "#/components/schemas/Preferences"})}},
        "put": {"summary": "Replace the caller's content settings (a category left out: blur with a reveal)",
                "requestBody": _body({"$ref": "#/components/schemas/Preferences"}),
                "responses": {"200": _ok("Saved", {"$ref": "#/components/schemas/Preferences"}),
                              "422": _error("Unknown category or choice")}}},
    "/me/wellbeing": {"get": {"summary": "The caller's exposure budget: break suggested, sensitive items paused",
                              "responses": {"200": _ok("Budget", {"type": "object", "properties": {
                                  "budget": {"$ref": "#/components/schemas/Budget"}}})}}},
    "/tasks/{task_id}/reveal": {"post": {
        "summary": "The original of a blurred task (its image_url, text or pages); counts as a view for the budget",
        "parameters": [TASK_ID],
        "responses": {"200": _ok("The original", {"type": "object", "properties": {
            "image_url": {"type": ["string", "null"]}, "reveal": {"type": "object"},
            "budget": {"$ref": "#/components/schemas/Budget"}}}),
            "403": _error("Not handed to the caller, or withheld by their settings"),
            "409": _error("Sensitive items are paused for the caller (code paused)")}}},
    "/tasks/{task_id}/flags": {"post": {
        "summary": "Report a task shown to the caller as more upsetting than rated (once per task)",
        "parameters": [TASK_ID],
        "requestBody": _body({"type": "object", "required": ["level"], "properties": {
            "level": {"type": "string", "enum": ["mild", "graphic", "extreme"]}, "note": {"type": "string"}}}),
        "responses": {"201": _ok("Reported", {"type": "object", "properties": {
            "re_rated": {"type": "boolean"}, "under_review": {"type": "boolean"}, "rating": {"type": "object"}}}),
            "403": _error("Not shown to the caller"), "409": _error("Already reported (code already_flagged)"),
            "422": _error("Not above the current rating")}}},
    "/tasks/{task_id}/rating": {"post": {
        "summary": "Rate a task (organisers and moderators of its campaign); settles a review",
        "security": ORGANISER, "parameters": [TASK_ID],
        "requestBody": _body({"type": "object", "required": ["level"], "properties": {
            "level": {"type": "string", "enum": ["none", "mild", "graphic", "extreme"]},
            "categories": {"type": "array", "items": {"type": "string"},
                           "description": "injury, death, violence, distress_text; other names become other"},
            "custom_label": {"type": "string"}}}),
        "responses": {"200": _ok("Rated"), "401": _error("No identity"), "403": _error("Not staff of this campaign"),
                      "422": _error("Unknown level")}}},
}

SCHEMAS = {
    "Error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "stable, for programs"},
        "message": {"type": "string", "description": "plain language, for people"},
        "details": {"type": "array", "items": {"type": "object"}}}},
    "Campaign": {"type": "object", "properties": {
        "slug": {"type": "string"}, "kind": {"type": "string"}, "title": {"type": "string"},
        "summary": {"type": "string"}, "status": {"type": "string"}, "licence": {"type": "string"},
        "redundancy": {"type": "integer"}, "tasks_total": {"type": "integer"}, "tasks_done": {"type": "integer"},
        "progress": {"type": "number"}, "url": {"type": "string"}}},
    "CampaignInput": {"type": "object", "required": ["title", "kind"], "properties": {
        "title": {"type": "string"}, "kind": {"type": "string", "enum": ["question"]},
        "summary": {"type": "string"}, "description": {"type": "string", "description": "Markdown"},
        "tutorial": {"type": "string", "description": "Markdown"},
        "redundancy": {"type": "integer", "minimum": 1, "maximum": 50},
        "licence": {"type": "string", "enum": ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0"]},
        "organisation_id": {"type": "integer"},
        "settings": {"type": "object", "description": "the kind's settings; question: {question, options}"}}},
    "Task": {"type": "object", "required": ["id", "kind"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "campaign": {"type": "string"},
        "question": {"type": "string"}, "options": {"type": "array", "items": {"type": "string"},
                                                    "description": "the allowed answer values"},
        "labels": {"type": "array", "items": {"type": "string"}}, "image_url": {"type": "string"},
        "text": {"type": "string"}, "done": {"type": "integer", "description": "answers given by the caller"},
        "warning": {"type": "string", "description": "content warning, for rated tasks"},
        "blurred": {"type": "boolean", "description": "image_url is a blurred copy; POST reveal_url for the original"},
        "blurred_url": {"type": "string"}, "reveal_url": {"type": "string"},
        "content": {"type": "object", "description": "the rating: level, categories, custom_label, under_review"},
        "budget": {"$ref": "#/components/schemas/Budget"}}},
    "Preferences": {"type": "object", "properties": {
        "choices": {"type": "object", "additionalProperties": {"type": "string", "enum": ["show", "blur", "withhold"]},
                    "description": "per category: injury, death, violence, distress_text, other"},
        "extreme_opt_in": {"type": "boolean"}}},
    "Budget": {"type": "object", "properties": {
        "load": {"type": "number"}, "suggest_break": {"type": "boolean"}, "paused": {"type": "boolean"},
        "until": {"type": ["string", "null"]}, "message": {"type": "string"}}},
    "AnswerResult": {"type": "object", "properties": {
        "answer": {"type": "object"}, "done": {"type": "integer"}, "task_complete": {"type": "boolean"}}},
    "Result": {"type": "object", "properties": {
        "task_id": {"type": "integer"}, "external_id": {"type": ["string", "null"]}, "answer": {},
        "count": {"type": "number"}, "share": {"type": "number"}, "answers": {"type": "integer"},
        "redundancy": {"type": "integer"}, "complete": {"type": "boolean"}, "tied": {"type": "boolean"}}},
}


def spec():
    return {
        "openapi": "3.1.0",
        "info": {"title": "citizen API", "version": "1.0.0",
                 "description": "Volunteer microtasking campaigns. Errors are JSON with a stable `code`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": PATHS,
    }
