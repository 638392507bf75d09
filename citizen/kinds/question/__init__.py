"""The plain `question` kind: an image and/or a text, one question, 2-10 options."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.kinds import Kind, clean_image_url, invalid
from citizen.errors import InvalidInput

MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_VALUE = 40  # characters of an option's value, so of an answer
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def slugify(label):
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40] or "option"


def clean_options(options):
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(_("Give between %(min)d and %(max)d answers.", min=MIN_OPTIONS, max=MAX_OPTIONS))
    out, seen = [], set()
    for opt in options:
        if isinstance(opt, str):
            opt = {"value": slugify(opt), "label": opt.strip()}
        if not isinstance(opt, dict) or not str(opt.get("label", "")).strip():
            raise ValueError(_("Each answer needs a label."))
        label = str(opt["label"]).strip()[:80]
        value = str(opt.get("value") or slugify(label))
        if not _VALUE.match(value):
            raise ValueError(_("Answer value %(value)r: use lower-case letters, digits, - or _.", value=value))
        if value in seen:
            raise ValueError(_("The answer %(value)r is given twice.", value=value))
        seen.add(value)
        out.append({"value": value, "label": label})
    return out


class QuestionKind(Kind):
    id = "question"
    label = _l("Question about an image or a text")
    script = "question.js"
    scripts = ("vendor/panzoom/panzoom.min.js",)  # zoom and pan on the image (wheel, drag, pinch, + and -)
    styles = ("question.css",)
    media_fields = ("image_url",)
    media_columns = {"image_url": True}
    text_fields = ("text",)
    alt_field = "alt"
    import_help = _l("A CSV file with a header row, or a JSON list. Columns: image_url and/or text; optional alt, "
                     "question, external_id. Either every task is imported or none.")

    def default_settings(self):
        return {"question": "", "options": []}

    def settings_from_form(self, form):
        lines = [ln.strip() for ln in (form.get("options") or "").splitlines() if ln.strip()]
        return {"question": form.get("question", ""), "options": lines}

    def clean_settings(self, raw):
        raw = raw or {}
        errors = []
        question = str(raw.get("question", "")).strip()
        if not question:
            errors.append({"field": "question", "message": _("Write the question volunteers will answer.")})
        elif len(question) > 300:
            errors.append({"field": "question", "message": _("Keep the question under 300 characters.")})
        options = []
        try:
            options = clean_options(raw.get("options"))
        except ValueError as exc:
            errors.append({"field": "options", "message": str(exc)})
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        return {"question": question, "options": options}

    def clean_task(self, payload, settings):
        unknown = set(payload) - {"image_url", "text", "question", "alt"}
        if unknown:
            raise ValueError(_("unknown field(s): %(fields)s", fields=", ".join(sorted(unknown))))
        task = {}
        image = clean_image_url(payload.get("image_url"))
        if image:
            task["image_url"] = image
            task["alt"] = str(payload.get("alt") or "")[:300]
        text = str(payload.get("text") or "").strip()
        if text:
            task["text"] = text[:5000]
        if not image and not text:
            raise ValueError(_("a task needs an image_url or a text"))
        if payload.get("question"):
            task["question"] = str(payload["question"]).strip()[:300]
        return task

    def texts(self, settings):
        out = super().texts(settings)
        out.update({f"option:{o['value']}": o["label"] for o in settings.get("options") or []})
        return out

    def with_texts(self, settings, texts):
        """The question, and each option's label (its value, which answers store, stays)."""
        settings = super().with_texts(settings, texts)
        return {**settings, "options": [{**o, "label": texts.get(f"option:{o['value']}") or o["label"]}
                                        for o in settings.get("options") or []]}

    def task_json(self, payload, settings):
        options = settings.get("options", [])
        out = {
            "question": payload.get("question") or settings.get("question", ""),
            "options": [o["value"] for o in options],
            "labels": [o["label"] for o in options],
        }
        for key in ("image_url", "alt", "text"):
            if key in payload:
                out[key] = payload[key]
        return out

    def clean_answer(self, value, payload, settings):
        allowed = [o["value"] for o in settings.get("options", [])]
        if not isinstance(value, str) or value not in allowed:
            raise invalid(_l("Choose one of the offered answers: %(options)s", options=", ".join(allowed)), "value")
        return value

    def check_limits(self, value, settings):
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise invalid(_l("Choose one of the offered answers."), "value")

    def answer_schema(self, settings=None):
        schema = {"type": "string", "minLength": 1, "maxLength": MAX_VALUE,
                  "description": "question: one of the task's options (its value, not its label)"}
        if settings and settings.get("options"):
            schema["enum"] = [o["value"] for o in settings["options"]]
        return schema

    def task_schema(self):
        text = {"type": "string"}
        return {"question": text, "options": {"type": "array", "items": text, "description": "the allowed answer values"},
                "labels": {"type": "array", "items": text}, "image_url": text, "alt": text, "text": text}

    def answer_labels(self, settings):
        return [o["value"] for o in settings.get("options", [])]

    def example(self):
        return {"settings": {"question": "Is there a red roof?", "options": ["Yes", "No"]},
                "payload": {"image_url": "/media/example/roof.jpg", "alt": "A roof", "text": "A street"}}

    def answer_names(self, settings):
        return {o["value"]: o["label"] for o in (settings or {}).get("options") or [] if isinstance(o, dict)}

    def export_columns(self, settings):
        return [
            ("image_url", "The image volunteers looked at", lambda p: p.get("image_url", "")),
            ("text", "The text volunteers read", lambda p: p.get("text", "")),
        ]
