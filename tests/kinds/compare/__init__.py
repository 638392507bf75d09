"""An example kind, added by this folder and one line of configuration (tests/conftest.py's KINDS):
"compare two images: which is newer?". It touches no file outside its folder, and gets the wellbeing shield
(its two images are declared media), the API's answer schema, results, exports, moderation display and the
dashboard from what it declares (citizen.kinds.capabilities)."""
from citizen.kinds import Kind, clean_image_url, invalid

CHOICES = (("left", "The left one"), ("right", "The right one"), ("same", "Cannot tell"))


class CompareKind(Kind):
    id = "compare"
    label = "Compare two images: which is newer?"
    script = "compare.js"
    media_fields = ("left_url", "right_url")
    media_columns = {"left_url": True, "right_url": True}
    import_help = "A CSV or JSON list with left_url and right_url: the two images of each task."

    def default_settings(self):
        return {"question": "Which image is newer?"}

    def clean_settings(self, raw):
        question = str((raw or {}).get("question") or "").strip()[:300]
        return {"question": question or "Which image is newer?"}

    def clean_task(self, payload, settings):
        left, right = clean_image_url(payload.get("left_url")), clean_image_url(payload.get("right_url"))
        if not (left and right):
            raise ValueError("a task needs left_url and right_url")
        return {"left_url": left, "right_url": right}

    def task_json(self, payload, settings):
        return {"question": settings.get("question", ""), "options": [v for v, _l in CHOICES],
                "labels": [label for _v, label in CHOICES], "left_url": payload["left_url"],
                "right_url": payload["right_url"]}

    def clean_answer(self, value, payload, settings):
        if value not in self.answer_labels(settings):
            raise invalid("Choose left, right or same.", "value")
        return value

    def check_limits(self, value, settings):
        if not isinstance(value, str) or len(value) > 10:
            raise invalid("Choose left, right or same.", "value")

    def answer_schema(self, settings=None):
        return {"type": "string", "enum": [v for v, _l in CHOICES], "maxLength": 10,
                "description": "compare: the newer image"}

    def task_schema(self):
        text = {"type": "string"}
        return {"question": text, "options": {"type": "array", "items": text}, "labels": {"type": "array", "items": text},
                "left_url": text, "right_url": text}

    def answer_labels(self, settings):
        return [v for v, _l in CHOICES]

    def answer_names(self, settings):
        return dict(CHOICES)

    def example(self):
        return {"settings": {}, "payload": {"left_url": "/media/example/left.jpg",
                                            "right_url": "/media/example/right.jpg"}}

    def export_columns(self, settings):
        return [("left_url", "The left image", lambda p: p.get("left_url", "")),
                ("right_url", "The right image", lambda p: p.get("right_url", ""))]
