"""The field kind's part of the OpenAPI document (citizen.api.openapi merges every kind's `api_paths`)."""
from citizen.kinds.field import MAX_PHOTO_BYTES

CHUNK_BYTES = 1024 * 1024  # citizen.kinds.field.photos.CHUNK_BYTES (this module stays free of the database)
_ERRORS = {400: "Malformed request", 401: "No identity was sent where one is needed, or the token is not valid",
           403: "This caller may not do that", 404: "No such campaign, task, upload or proposal (code not_found)",
           409: "Conflicts with what is stored", 413: "The request body is larger than the server accepts",
           422: "Invalid input; the fields at fault are listed in details", 429: "Too many requests"}
_INT, _NUM, _STR, _BOOL = {"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _STR}
_TASK = {"name": "task_id", "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_UPLOAD = {"name": "upload_id", "in": "path", "required": True, "description": "the client's own id of this photo "
           "(a UUID kept with the queued answer), to resume after a reload",
           "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}}
_OPTIONAL = [{}, {"bearer": []}]


def _errors(*statuses, **said):
    return {str(s): {"description": said.get(f"s{s}", _ERRORS[s]),
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for s in statuses}


def _ok(description, properties):
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": properties}}}}


_SITE = {"type": "object", "properties": {
    "id": _INT, "name": _STR, "lat": _NUM, "lon": _NUM, "visits": _INT, "wanted": _INT,
    "mine": {"type": "boolean", "description": "the caller already reported on this site"},
    "distance_m": {"type": "integer", "description": "metres from the position asked about (nearby only)"},
    "bearing_deg": {"type": "integer", "description": "compass bearing from that position, 0 = north (nearby only)"}}}
_SITES = {"sites": {"type": "array", "items": _SITE}, "more": _BOOL}
_NEARBY = {**_SITES, "proposals": {"type": "array", "description": "sites volunteers proposed nearby (campaigns that "
                                   "take proposals), to confirm on the spot", "items": {"type": "object", "properties": {
                                       "id": _INT, "name": _STR, "lat": _NUM, "lon": _NUM, "distance_m": _INT,
                                       "bearing_deg": _INT, "confirmations": _INT, "mine": _BOOL, "answered": _BOOL}}}}
_POSITION = {"type": "object", "required": ["lat", "lon"], "description": "where the volunteer stands: latitude and "
             "longitude (WGS84 degrees) and the position's accuracy in metres",
             "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                            "lon": {"type": "number", "minimum": -180, "maximum": 180},
                            "accuracy": {"type": "number", "minimum": 0, "maximum": 100000}}}
_PHOTO = {"received": _INT, "photo": {"type": ["string", "null"], "description": "the photo token to name in the "
                                      "answer's photos, once the whole photo arrived"}}
_PROPOSAL = {"proposal": _INT, "status": _STR, "name": _STR, "lat": _NUM, "lon": _NUM, "confirmations": _INT,
             "task_id": {"type": ["integer", "null"]}}


def paths():
    return {
        "/campaigns/{slug}/nearby": {"get": {
            "summary": "Field campaigns: the open sites nearest to a position (latitude, longitude), nearest first, "
                       "with distance and bearing", "security": _OPTIONAL, "parameters": [
                _SLUG, {"name": "lat", "in": "query", "required": True,
                        "schema": {"type": "number", "minimum": -90, "maximum": 90}},
                {"name": "lon", "in": "query", "required": True,
                 "schema": {"type": "number", "minimum": -180, "maximum": 180}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
            "responses": {"200": _ok("Sites", _NEARBY), **_errors(400, 401, 404, 409, 422)}}},
        "/campaigns/{slug}/sites": {"get": {
            "summary": "Field campaigns: the open sites inside a box (at most 500): an area saved for offline use",
            "security": _OPTIONAL, "parameters": [_SLUG, {
                "name": "bbox", "in": "query", "required": True, "description": "west,south,east,north in degrees, "
                "at most one degree wide and high", "schema": {"type": "string", "maxLength": 200}}],
            "responses": {"200": _ok("Sites", _SITES), **_errors(400, 401, 404, 409, 422)}}},
        "/tasks/{task_id}/photos": {"post": {
            "summary": f"Field campaigns: upload a photo of the site in one request (at most {MAX_PHOTO_BYTES // 10**6} "
                       "MB, JPEG, PNG or WebP). It is re-encoded without metadata but its GPS position, kept for the "
                       "campaign's staff only, blurred until they choose to look; the token goes in the answer's photos",
            "security": _OPTIONAL, "parameters": [_TASK],
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["photo"], "properties": {
                    "photo": {"type": "string", "format": "binary"}}}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"201": _ok("Stored", _PHOTO), **_errors(400, 401, 403, 404, 409, 413, 422, 429)}}},
        "/tasks/{task_id}/photos/{upload_id}": {
            "get": {"summary": "Field campaigns: how much of a resumable photo upload arrived (0 for a caller not "
                               "known yet)",
                    "security": _OPTIONAL, "parameters": [_TASK, _UPLOAD],
                    "responses": {"200": _ok("Progress", _PHOTO), **_errors(400, 401, 404, 409)}},
            "put": {"summary": "Field campaigns: one chunk of a photo, resumable (Content-Range: bytes first-last/total, "
                               f"at most {CHUNK_BYTES // 1024} KiB a chunk); 201 with the photo token when the chunk "
                               "completes it; 409 with `received` when the chunk does not start there",
                    "security": _OPTIONAL, "parameters": [_TASK, _UPLOAD, {
                        "name": "Content-Range", "in": "header", "required": True,
                        "schema": {"type": "string", "pattern": "^bytes [0-9]+-[0-9]+/[0-9]+$"}}],
                    "requestBody": {"required": True, "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    "responses": {"200": _ok("Chunk stored", _PHOTO), "201": _ok("Photo complete", _PHOTO),
                                  **_errors(400, 401, 403, 404, 409, 413, 422, 429)}}},
        "/campaigns/{slug}/proposals": {"post": {
            "summary": "Field campaigns that take proposals: a site that is not on the map, where the volunteer "
                       "stands; it becomes a site once other volunteers confirm it on the spot (or staff accept it). "
                       "Send an Idempotency-Key: a retry returns the same proposal", "security": _OPTIONAL,
            "parameters": [_SLUG],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "value"], "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "value": {"type": "object", "required": ["position"], "properties": {"position": _POSITION}}}}}}},
            "responses": {"200": _ok("The same proposal (a retry)", _PROPOSAL), "201": _ok("Proposed", _PROPOSAL),
                          **_errors(400, 401, 403, 404, 409, 422, 429, s403="The campaign takes no proposals",
                                    s409="A site or proposal is this close already (codes site_nearby, proposal_"
                                         "nearby), or the caller has too many proposals waiting")}}},
        "/campaigns/{slug}/proposals/{proposal_id}/confirm": {"post": {
            "summary": "Field campaigns: a volunteer standing there says whether a proposed site exists",
            "security": _OPTIONAL, "parameters": [_SLUG, {"name": "proposal_id", "in": "path", "required": True,
                                                          "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": 2**31 - 1}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["exists", "position"],
                "properties": {"exists": _BOOL, "position": _POSITION}}}}},
            "responses": {"200": _ok("The proposal as it stands", _PROPOSAL),
                          **_errors(400, 401, 403, 404, 409, 422, 429, s403="The proposer cannot confirm it")}}},
    }
