"""PDF transcription: volunteers read a page (or a document) and fill in the organiser's form;
values are accepted once enough of them agree (see kinds.agreement and kinds.normalise).

A task's payload:

    {"document": "report-01.pdf", "page": 3 (None when the task is the whole document),
     "pages_in_document": 12, "pdf_url": "/media/...pdf",
     "pages": [{"page": 3, "image_url": "/media/...-p0003.jpg", "width": 1414, "height": 2000}],
     "pending": false}

An import stores the PDFs and counts their pages at once. Small uploads are rendered on the
request; larger ones are stored `pending` (unavailable, so never handed out) and rendered by the
"transcription.render" job (citizen.kinds.transcription.transcripts), which makes each task available as
its pages are ready. Answers are {"fields": {name: value or null}} (null: not on this page).
"""
import base64

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.storage.media import MediaRefused
from citizen.kinds import Kind, RowError, clean_image_url
from citizen.kinds._shared import agreement, fields
from citizen.kinds._shared.settings import whole_number
from citizen.ingest import archives, pdfs
from citizen.kinds import invalid, result_column
from citizen.kinds._shared import normalise
from citizen.errors import InvalidInput

UNITS = ("page", "document")
DECIMAL_MARKS = ("auto", ".", ",")
DATE_ORDERS = ("dmy", "mdy")
LIMITS = {"PDF_MAX_PAGES": 500, "PDF_MAX_BYTES": 50_000_000, "PDF_MAX_FILES": 500, "PDF_MAX_IMPORT_PAGES": 5000,
          "PDF_RENDER_SYNC_PAGES": 20, "PDF_DOCUMENT_MAX_PAGES": 30}


def limit(name):
    return int(current_app.config.get(name, LIMITS[name]))


class TranscriptionKind(Kind):
    id = "transcription"
    label = _l("PDF transcription (read pages, fill in a form)")
    script = "transcription.js"
    styles = ("vendor/leaflet/leaflet.css", "transcription.css")
    media_fields = ("image_url", "pages[].image_url")
    media_columns = {"page_image": True, "document_url": False}
    alt_field = "alt"
    consensus = ("per-field",)
    scripts = ()  # Leaflet is loaded by the task template: the organiser's page must not offer map drawing
    import_help = _l("Upload a PDF, or a ZIP of PDFs. Every page (or every document, as set in the campaign "
                     "settings) becomes a task. Files that are not PDFs, are protected by a password, damaged "
                     "or too long are listed and left out; the others are imported. Large uploads are "
                     "rendered in the background: their pages reach volunteers as soon as they are ready.")

    def init_app(self, app):
        """The render job, the organiser's routes of the manage panel, and what that panel shows."""
        from citizen.jobs import services as jobs
        from citizen.kinds import registry
        from citizen.kinds.transcription import transcripts, views
        jobs.register(transcripts.RENDER, transcripts.render)
        app.register_blueprint(views.bp)
        registry.register_manage_context(app, self.id, transcripts.manage_context)

    # --- settings -----------------------------------------------------------------------------
    def default_settings(self):
        return {"fields": fields.EXAMPLE, "unit": "page", "agree": 2, "max_answers": 5,
                "decimal_mark": "auto", "date_order": "dmy"}

    def settings_from_form(self, form):
        keys = ("fields", "unit", "agree", "max_answers", "decimal_mark", "date_order")
        return {k: form.get(k, "") for k in keys}

    def clean_settings(self, raw):
        raw = raw or {}
        out, errors = {}, []

        def check(name, fn):
            try:
                out[name] = fn()
            except ValueError as exc:
                errors.append({"field": name, "message": str(exc)})

        check("fields", lambda: fields.parse_fields(raw.get("fields")))
        check("unit", lambda: _one_of(raw.get("unit"), UNITS, "page", _("Choose page or document.")))
        check("agree", lambda: whole_number(raw.get("agree"), 1, 20, 2, _(
            "Answers that must agree: a whole number from 1 to 20.")))
        check("max_answers", lambda: whole_number(raw.get("max_answers"), 1, 50, 5, _(
            "Most answers per task: a whole number from 1 to 50.")))
        check("decimal_mark", lambda: _one_of(raw.get("decimal_mark"), DECIMAL_MARKS, "auto",
                                              _("Choose how decimals are written.")))
        check("date_order", lambda: _one_of(raw.get("date_order"), DATE_ORDERS, "dmy",
                                            _("Choose day or month first.")))
        if "agree" in out and "max_answers" in out and out["max_answers"] < out["agree"]:
            errors.append({"field": "max_answers", "message": _(
                "Most answers per task must be at least the answers that must agree (%(k)d).", k=out["agree"])})
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        out["fields_text"] = fields.as_text(out["fields"])
        return out

    # --- sources ------------------------------------------------------------------------------
    def tasks_from_upload(self, filename, data, settings, media):
        name = (filename or "").lower()
        if name.endswith((".json", ".csv")):
            return super().tasks_from_upload(filename, data, settings, media)
        try:
            documents, problems = pdfs.documents_from_upload(
                filename, data, limit("PDF_MAX_FILES"), limit("PDF_MAX_BYTES"), limit("PDF_MAX_PAGES"),
                limit("PDF_MAX_IMPORT_PAGES"))
        except pdfs.PdfProblem as exc:
            raise RowError(1, str(exc)) from None
        by_document = settings.get("unit") == "document"
        if by_document:
            documents, too_long = _short_enough(documents, limit("PDF_DOCUMENT_MAX_PAGES"))
            problems = sorted(problems + too_long, key=lambda p: p["line"])
        messages = [{"line": p["line"], "message": f"{p['file']}: {p['message']}"} for p in problems]
        if not documents:
            return [], messages or [{"line": 1, "message": _("no PDF in this upload.")}]
        render_now = sum(p for _n, _b, p in documents) <= limit("PDF_RENDER_SYNC_PAGES")
        rows = []
        for name, blob, pages in documents:
            try:  # stored as .pdf under a name of the server's choosing, whatever the upload was called
                pdf_url = media.save(name, blob)
            except MediaRefused:  # page_count already checks what the store checks: a second line of defence
                messages.append({"line": 1, "message": f"{name}: {_('not a PDF file.')}"})
                continue
            rendered = {}
            if render_now and not media.dry_run:
                stem = name.rsplit(".", 1)[0]
                for index, jpeg, width, height in pdfs.render_pages(blob):
                    rendered[index] = {"page": index + 1, "width": width, "height": height,
                                       "image_url": media.save(f"{stem}-p{index + 1:04d}.jpg", jpeg)}
            base = {"document": name, "pages_in_document": pages, "pdf_url": pdf_url}
            if media.dry_run and not rows:  # the organiser's preview shows the first page as rendered
                base["preview_image"] = _data_uri(next(pdfs.render_pages(blob, [0], max_side=900))[1])
            groups = [list(range(pages))] if by_document else [[i] for i in range(pages)]
            for indexes in groups:
                ready = all(i in rendered for i in indexes)
                payload = {**base, "page": None if by_document else indexes[0] + 1,
                           "pages": [rendered[i] for i in indexes] if ready else [], "pending": not ready}
                ref = name if by_document else f"{name}#page={indexes[0] + 1}"
                rows.append((len(rows) + 1, ref, payload))
        return rows, [], messages

    def clean_task(self, payload, settings):
        """A task given as a JSON or CSV row: an already rendered page {"image_url", "width", "height",
        optional "document", "page"}."""
        unknown = set(payload) - {"image_url", "width", "height", "document", "page"}
        if unknown:
            raise ValueError(_("unknown field(s): %(fields)s", fields=", ".join(sorted(unknown))))
        url = clean_image_url(payload.get("image_url"))
        if not url:
            raise ValueError(_("a task needs the image_url of a page, with its width and height"))
        size = {}
        for key in ("width", "height"):
            try:
                size[key] = int(payload.get(key))
            except (TypeError, ValueError):
                raise ValueError(_("a task needs the image_url of a page, with its width and height")) from None
            if not 1 <= size[key] <= 20000:
                raise ValueError(_("width and height are pixels from 1 to 20000"))
        try:
            page = int(payload.get("page") or 1)
        except (TypeError, ValueError):
            raise ValueError(_("page must be a whole number")) from None
        return {"document": archives.safe_name(str(payload.get("document") or url.rsplit("/", 1)[-1]))[:200],
                "page": page, "pages_in_document": None, "pdf_url": None,
                "pages": [{"page": page, "image_url": url, **size}], "pending": False}

    def task_ready(self, payload):
        return not payload.get("pending")

    def after_import(self, campaign, rows):
        pending = sorted({p["pdf_url"] for _line, _ref, p in rows if p.get("pending")})
        if pending:
            from citizen.kinds.transcription import transcripts  # its job: the database, off the pure contract
            transcripts.start_rendering(campaign, pending)

    # --- the volunteer's side -----------------------------------------------------------------
    def task_json(self, payload, settings):
        pages = payload.get("pages") or []
        return {"question": _("Copy these fields from the page"), "labels": [f["label"] for f in settings["fields"]],
                "document": payload.get("document"), "page": payload.get("page"),
                "pages_in_document": payload.get("pages_in_document"), "pages": pages,
                "image_url": pages[0]["image_url"] if pages else None,
                "alt": _("Page %(page)s of %(document)s", page=payload.get("page") or 1, document=payload.get("document")),
                "fields": [{k: f.get(k) for k in ("name", "label", "type", "help", "choices", "optional", "region")}
                           for f in settings["fields"]]}

    def clean_answer(self, value, payload, settings):
        try:
            values, typed = fields.clean_values(value, settings["fields"], settings.get("decimal_mark", "auto"),
                                                settings.get("date_order", "dmy"))
        except ValueError as exc:
            errors = exc.args[0]
            raise InvalidInput(errors[0]["message"], details=errors) from None
        return {"fields": values, **({"typed": typed} if typed else {})}

    def check_limits(self, value, settings):
        given = value.get("fields") if isinstance(value, dict) else None
        if not isinstance(given, dict):
            raise invalid(_('Send {"fields": {"<name>": "<value>" or null}}, one entry per field of the form.'),
                          "fields")
        if len(given) > fields.MAX_FIELDS:
            raise invalid(_("At most %(max)d fields per page.", max=fields.MAX_FIELDS), "fields")
        form = {f["name"]: f for f in (settings or {}).get("fields") or [] if isinstance(f, dict)}
        for name, raw in given.items():
            if len(name) > fields.MAX_NAME:
                raise invalid(_("%(name)s is not a field of this form.", name=name[:60]), "fields")
            field = form.get(name) or {"label": name, "type": "text"}
            typed = field["type"] in ("number", "money", "date")
            if isinstance(raw, str) and len(raw) > (normalise.MAX_TYPED if typed else normalise.MAX_TEXT_SENT):
                message = (_("write a date of at most %(n)d characters.", n=normalise.MAX_TYPED)
                           if field["type"] == "date" else
                           _("write a number of at most %(n)d characters.", n=normalise.MAX_TYPED) if typed else
                           _("keep it under %(n)d characters.", n=normalise.MAX_TEXT))
                raise invalid(f"{field['label']}: {message}", name)

    def answer_schema(self, settings=None):
        text = {"type": "string", "maxLength": normalise.MAX_TEXT_SENT,
                "description": f"text: at most {normalise.MAX_TEXT} characters once runs of spaces are collapsed"}
        typed = {"type": "string", "maxLength": normalise.MAX_TYPED,
                 "description": "a number, an amount of money or a date as written on the page"}
        number = {"type": "number", "exclusiveMinimum": -normalise.MAX_NUMBER,
                  "exclusiveMaximum": normalise.MAX_NUMBER}
        value = {"anyOf": [text, number, {"type": "null"}], "description": "null: not on this page"}
        field_map = {"type": "object", "maxProperties": fields.MAX_FIELDS,
                     "propertyNames": {"maxLength": fields.MAX_NAME}, "additionalProperties": value}
        if settings and isinstance(settings.get("fields"), list):
            properties = {}
            for f in settings["fields"]:
                options = {"text": [text], "number": [typed, number], "money": [typed, number], "date": [typed],
                           "choice": [{**text, "description": "one of: " + ", ".join(f.get("choices") or [])
                                       + " (case and spacing do not count)"}]}[f["type"]]
                properties[f["name"]] = {"anyOf": options + ([{"type": "null"}] if f.get("optional") else [])}
            field_map = {"type": "object", "properties": properties, "additionalProperties": False}
        return {"type": "object", "required": ["fields"], "properties": {"fields": field_map},
                "description": "transcription: {\"fields\": {name: value or null}}, one entry per field of the form"}

    # --- known answers: a model's transcription (citizen.predictions) -------------------------
    def clean_known(self, known, payload, settings):
        """A document-field extractor's answer, in the answer's own form: {"fields": {name: value or null}}."""
        try:
            self.check_limits(known, settings)
            return self.clean_answer(known, payload, settings)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    def _field_pairs(self, value, known):
        """(crowd's value key, model's value key) per field the crowd settled (the result's answer, or an answer)."""
        crowd = value.get("fields", value) if isinstance(value, dict) else {}
        model = (known or {}).get("fields") or {}
        return [(agreement.value_key(v), agreement.value_key(model.get(name))) for name, v in crowd.items()]

    def known_matches(self, value, known, settings):
        pairs = self._field_pairs(value, known)
        return bool(pairs) and all(a == b for a, b in pairs)

    def compare_known(self, value, known, settings):
        """{fields, right}: the fields the crowd settled, and how many of them the model read the same."""
        pairs = self._field_pairs(value, known)
        return {"fields": len(pairs), "right": sum(a == b for a, b in pairs)}

    def known_text(self, known, settings):
        values = (known or {}).get("fields") or {}
        return "; ".join(f"{name}: {'-' if v is None else v}" for name, v in values.items())[:300]

    # --- aggregation --------------------------------------------------------------------------
    def add_to_consensus(self, state, value, weight=1.0):
        return agreement.add_answer(state, value["fields"], weight)

    def result(self, state, settings=None):
        s = settings or {}
        return agreement.result(state or {}, s.get("fields") or [], int(s.get("agree") or 2),
                                int(s.get("max_answers") or 5))

    def answers_wanted(self, state, settings, redundancy):
        return agreement.answers_wanted(state or {}, settings.get("fields") or [], int(settings.get("agree") or 2),
                                        int(settings.get("max_answers") or 5), redundancy)

    # --- the typed result ---------------------------------------------------------------------
    def example(self):
        page = {"page": 1, "image_url": "/media/example/report-p0001.jpg", "width": 1414, "height": 2000}
        return {"settings": {}, "payload": {"document": "report.pdf", "page": 1, "pages_in_document": 1,
                                            "pdf_url": "/media/example/report.pdf", "pages": [page]}}

    def task_schema(self):
        text, maybe_text, maybe_int = {"type": "string"}, {"type": ["string", "null"]}, {"type": ["integer", "null"]}
        return {"question": text, "labels": {"type": "array", "items": text}, "document": maybe_text,
                "page": maybe_int, "pages_in_document": maybe_int, "image_url": maybe_text, "alt": text,
                "pages": {"type": "array", "items": {"type": "object"}, "description": "rendered pages: page, "
                          "image_url, width, height"},
                "fields": {"type": "array", "items": {"type": "object"}, "description": "the form: name, label, "
                           "type, help, choices, optional, region"}}

    def result_fields(self, result):
        """Each field's value, status and agreement, and the task's status."""
        if "fields" not in result:
            return {}
        return {"fields": result["fields"], "status": result["status"], "needs_review": result["needs_review"]}

    def verdict(self, result, answered):
        return "agreement", result.get("status") == "verified"

    def disputed(self, result):
        return result.get("status") == "disputed"

    def answer_display(self, value, payload=None):
        if isinstance(value, dict) and isinstance(value.get("fields"), dict):
            return {"label": "; ".join(f"{k}: {v}" for k, v in list(value["fields"].items())[:6])}
        return {}

    def result_display(self, result, payload=None):
        if "fields" not in result:
            return {}
        found = result["fields"]
        return {"status": result.get("status"), "needs_review": result.get("needs_review"),
                "fields": {name: {k: f.get(k) for k in ("value", "status", "agreement")} for name, f in found.items()}
                if isinstance(found, dict) else found}

    def methodology_collection(self, settings, redundancy):
        s = settings or {}
        return [f"- Each task asks for **{redundancy}** answers from different volunteers. A field's value "
                f"is accepted when **{s.get('agree', 2)}** answers agree on it (texts of the fields marked "
                f"\"typos\" may differ by a typo, two beyond 12 characters; typos are looked for among a field's "
                f"{agreement.MAX_FUZZY_GROUPS} most given values; names and identifiers must match exactly unless "
                f"the organiser chose otherwise); while volunteers disagree the task asks for more answers, up to "
                f"**{s.get('max_answers', 5)}**. Fields: "
                + ", ".join(f"`{f['name']}` ({f['type']}{', typos' if fields.typos(f) else ''})"
                            for f in s.get("fields") or []) + "."]

    def methodology_consensus(self, settings):
        s = settings or {}
        return [f"Field by field: a value is *verified* when at least {s.get('agree', 2)} answers agree on it and no "
                f"other value has as many; *missing* when as many say it is not on the page; *disputed* when enough "
                f"answers came in without either; *pending* before that. `confidence` and `agreement` are the "
                f"lowest share of answers behind an accepted value among the fields. Numbers and dates are compared "
                f"after normalising how they are written (1.234,50 = 1,234.50; dates as ISO 8601)."]

    # --- exports ------------------------------------------------------------------------------
    def export_columns(self, settings):
        cols = [
            ("document", "The PDF the page comes from", lambda p: p.get("document", "")),
            ("page", "Page number in the document (empty when the task is the whole document)",
             lambda p: p.get("page") or ""),
            ("page_image", "Link to the rendered page volunteers read (the first page of a document)",
             lambda p: (p.get("pages") or [{}])[0].get("image_url", "")),
            ("document_url", "Link to the PDF as uploaded", lambda p: p.get("pdf_url") or ""),
            ("status", "verified (every field settled), disputed or pending", result_column(
                lambda p, r: r.get("status", "pending"))),
            ("needs_review", "Still disputed after the most answers allowed: for moderators", result_column(
                lambda p, r: r.get("needs_review", False))),
        ]
        for f in settings.get("fields") or []:
            cols += [
                (f["name"], f"{f['label']}: the accepted value ({f['type']}; dates ISO 8601)",
                 _field_column(f["name"], "value")),
                (f"{f['name']}_agreement", f"{f['label']}: share of answers behind the accepted value",
                 _field_column(f["name"], "agreement")),
                (f"{f['name']}_status", f"{f['label']}: verified, missing (not on the page), disputed or pending",
                 _field_column(f["name"], "status")),
            ]
        return cols


def _field_column(name, key):
    @result_column
    def value(payload, result):
        got = (result.get("fields") or {}).get(name, {}).get(key)
        return "" if got is None else got
    return value


def _data_uri(jpeg):
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def _one_of(raw, allowed, default, message):
    value = str(raw or "").strip() or default
    if value not in allowed:
        raise ValueError(message)
    return value


def _short_enough(documents, max_pages):
    keep, problems = [], []
    for n, (name, blob, pages) in enumerate(documents, start=1):
        if pages > max_pages:
            problems.append(archives.error(n, name, _(
                "%(n)d pages is too long for one task (at most %(max)d): import it with one task per page.",
                n=pages, max=max_pages)))
        else:
            keep.append((name, blob, pages))
    return keep, problems
