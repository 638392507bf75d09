"""What a kind declares so that the core can serve it without knowing it (the second half of the contract).

The wellbeing shield, the API's OpenAPI document, results, exports, moderation display, the dashboard,
the campaign page's maps and the methodology note read a kind only through these. The defaults describe a
plain categorical kind with no media; a kind overrides what differs. All of it is pure: dicts in and out.
"""

MEDIA_PREFIXES = ("/media/", "/static/", "https://", "http://")


class Capabilities:
    # --- media: what the wellbeing shield blurs or withholds -----------------------------------------------
    # Paths into the task JSON (task_json) that hold a media URL: "image_url" (a key), "pages[].image_url" (a
    # key of each object of a list). The shield replaces exactly these by blurred copies: a media URL a kind
    # sends under a path it does not declare reaches volunteers unblurred (tests/test_kind_capabilities.py
    # fails for any registered kind that does).
    media_fields = ()
    # Export columns (export_columns names) holding a link to a task's media, and whether its blurred copy may
    # stand in for it (an image) or it is left out (a PDF): the open data files hide what the public may not see.
    media_columns = {}
    text_fields = ()   # keys of the task JSON holding content a blur holds back until the reveal (a text)
    alt_field = None   # the key describing the media (its alt text), replaced by a neutral one under a blur

    def media_urls(self, task_json):
        """The media URLs of a task JSON, in media_fields order."""
        urls = []
        for path in self.media_fields:
            _walk(task_json, path, lambda url: urls.append(url) or url)
        return urls

    def replace_media(self, task_json, fn):
        """A copy of task_json with every media URL replaced by fn(url)."""
        out = dict(task_json)
        for path in self.media_fields:
            out = _walk(out, path, fn)
        return out

    def shielded_keys(self):
        """The top-level keys of the task JSON a withheld task must not carry."""
        keys = [p.split("[]", 1)[0].split(".", 1)[0] for p in self.media_fields]
        return tuple(dict.fromkeys(keys + list(self.text_fields) + ([self.alt_field] if self.alt_field else [])))

    def example(self):
        """A sample task of this kind, {"settings": raw settings, "payload": a stored payload} with its media under
        /media/: the shield's test (tests/test_kind_capabilities.py) checks that no such URL escapes a blur.
        Every kind with media must give one."""
        return None

    def picture(self, payload, settings):
        """A picture of a task for cards and share previews (a URL), or None: its first media."""
        urls = self.media_urls(self.task_json(payload, settings or {}))
        return urls[0] if urls else None

    # --- the API ------------------------------------------------------------------------------------------------
    def api_paths(self):
        """OpenAPI paths of the kind's own API routes (registered by its init_app), merged into the document."""
        return {}

    def task_schema(self):
        """JSON Schema properties of the kind's part of a task JSON (task_json): the OpenAPI document states one
        Task schema per kind from it (citizen.api.openapi). The answer's schema is answer_schema."""
        return {}

    # --- geometry: maps, GeoJSON and GeoPackage -----------------------------------------------------------
    spatial = False   # tasks sit on a map (map_geometry) and answers carry marks clustered into consensus marks

    def basemap(self, settings):
        """(tile template or None, attribution) of the campaign's maps (the imagery after, for the map kinds)."""
        return (settings or {}).get("tiles_after") or None, (settings or {}).get("attribution", "")

    def map_geometry(self, payload):
        """Where a task sits on a map (GeoJSON geometry in WGS84), or None."""
        return None

    def place(self, payload, value=None):
        """{"lat", "lon", "source"}: where an escalated task is (rescuers go there), or None."""
        return None

    def crs(self, payload):
        """The coordinate system of a task's marks: "lonlat" on a map, "pixel" on a photo."""
        return "lonlat"

    # --- the answer's weight ---------------------------------------------------------------------------------
    # Whether the time spent on a task says anything of an answer (the minimum time, answers without a live lease
    # weighing nothing). A field visit's time is spent walking to the place and its answer comes without a lease
    # (sent when the phone is back online): the field kind is not timed.
    timed = True
    # Whether volunteers choose this kind's tasks themselves (a field visit: the site they walked to) instead of being
    # handed them by the loop: an answer then needs no hand-out, and the kind's own checks (the visit's position)
    # stand where the loop's choice of task stood against volunteers picking their targets.
    picked = False
    # Browser features the kind's work page uses that every other page is refused (Permissions-Policy): the field
    # kind asks for "geolocation".
    permissions = ()

    def held(self, value):
        """Why a stored answer waits for a moderator before it counts ([] for none: every answer of most kinds).
        The volunteer loop and every rebuild of a tally give such an answer weight 0 and the reason "held";
        the moderators' queue lists it, and accepting it is the kind's own change of the value (`accept_held`)."""
        return []

    def answer_links(self, slug, value):
        """[(label, URL)] of files an answer carries that staff open from the moderators' queue (the field kind's
        photos, served to the campaign's staff only); [] for most kinds."""
        return []

    def held_count(self, state):
        """How many held answers a task's tally keeps (the loop refuses more past campaigns.scheduler.MAX_HELD)."""
        return 0

    def accept_held(self, value):
        """The stored value once a moderator accepted a held answer (it then counts like any other)."""
        return value

    # --- the typed result ---------------------------------------------------------------------------------
    # How answers are combined: "categorical" (a vote over fixed answers), "spatial" (marks clustered),
    # "per-field" (each field of a form agreed on its own). The methodology note and the docs read it.
    consensus = ("categorical",)

    def result_fields(self, result):
        """The kind's own part of a stored result that the results API shows beside answer, count and share."""
        return {}

    def result_marks(self, result):
        """The consensus marks of a result (a GeoJSON FeatureCollection) for spatial kinds, else None."""
        return None

    def verdict(self, result, answered):
        """(method, decided) of a result without a batch consensus: how it was reached, and whether the kind
        counts it as settled. A plain vote share decides nothing by itself."""
        return "majority", False

    def disputed(self, result):
        """Whether a task that got all its answers is still undecided (the dashboard's stuck tasks)."""
        return bool(result.get("tied"))

    def answer_names(self, settings):
        """{answer value: the label volunteers saw} of a categorical kind."""
        return {}

    def answer_display(self, value, payload=None):
        """What a moderator's queue shows of one answer besides its label: marks, or a summary as "label".
        `payload` is the task's (the boxes kind draws its boxes in the photo's pixels from it)."""
        return {}

    def result_display(self, result, payload=None):
        """What a moderator's queue shows of a task's result besides answer, share and counts."""
        return {}

    # A moderator adjusts a disputed result in the kind's own work widget (its task_template and script), which
    # then starts from `start`: the task JSON's key holding an answer to begin with (the boxes agreed so far).
    reviewable = False

    def review_start(self, result):
        """The answer a moderator's adjustment begins from: the result's own answer (a reviewable kind's)."""
        return (result or {}).get("answer")

    # --- the campaign's own words, in other languages (citizen.campaigns.texts) ------------------------------
    def texts(self, settings):
        """{key: text} of the words in the kind's settings that volunteers read and an organiser may translate:
        the question, when the organiser wrote one (a default question is the app's own, translated with it)."""
        question = (settings or {}).get("question")
        return {"question": question} if isinstance(question, str) and question.strip() else {}

    def with_texts(self, settings, texts):
        """`settings` with the words of `texts` ({key: text}, keys of `texts(settings)`) in place of the
        organiser's: what task_json reads for a volunteer in that language. Never a value that answers store."""
        return {**settings, "question": texts["question"]} if texts.get("question") else settings

    # --- what the open data may say of an answer -------------------------------------------------------------
    # Whether an answer tells where its volunteer was (a field visit: the site, at a time). Then answers.csv names no
    # volunteer (neither pseudonym nor voter weight) and gives the answer as `public_value`: a pseudonym's visits, in
    # time order, would be their track.
    whereabouts = False

    def public_value(self, value):
        """An answer as answers.csv publishes it (a kind with `whereabouts` leaves out the device's position)."""
        return value

    # --- files of the kind's own ----------------------------------------------------------------------------
    def export_files(self, settings):
        """[(name, description, mediatype, format)]: files this kind adds to a campaign's open data beside
        results.csv (the boxes kind's COCO JSON). The exports list, serve and describe them by these names."""
        return []

    def write_export_file(self, name, settings, rows):
        """The file `name` (one of export_files) as an iterator of byte chunks. `rows()` iterates over the campaign's
        published tasks in task order as (values, result): the task's results.csv row (the public's media rules
        applied) and its stored result; it may be called more than once (one pass per part of the file)."""
        raise KeyError(name)

    # --- the methodology note -------------------------------------------------------------------------------
    def methodology_collection(self, settings, redundancy):
        """Markdown lines saying how answers are collected, or None for the note's default (one answer per
        volunteer per task, `redundancy` answers)."""
        return None

    def methodology_consensus(self, settings):
        """Markdown lines saying how answers are combined, or None for the note's default (Dawid-Skene)."""
        return None

    def methodology_more(self, settings):
        """Markdown lines added after the consensus (the map kinds' spatial consensus of marks)."""
        return []


def _walk(obj, path, fn):
    """obj with the value(s) at path replaced by fn(value) (strings only); obj is copied, never changed."""
    head, _sep, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(obj, dict) or key not in obj:
        return obj
    value = obj[key]
    if many:
        if not isinstance(value, list):
            return obj
        new = [_walk(item, rest, fn) if rest else (fn(item) if isinstance(item, str) and item else item)
               for item in value]
    elif rest:
        new = _walk(value, rest, fn)
    else:
        new = fn(value) if isinstance(value, str) and value else value
    return {**obj, key: new}
