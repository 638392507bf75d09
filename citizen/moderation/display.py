"""What a moderator sees of a page of queue items: the image (shielded by their own content settings, as a
volunteer would see it) or the map, every answer with its marks, the consensus, and the evidence against a
contributor. Loaded for one page at a time, in a few queries for the whole page."""
from sqlalchemy import select

from citizen.kinds import get_kind
from citizen.campaigns.tally import stored
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from citizen.moderation.escalations import location
from citizen.moderation.models import OPEN, ContentReport
from citizen.moderation.queue import my_contributor_id
from citizen.quality import consensus as tally
from citizen.accounts.signatures import pseudonym
from citizen.wellbeing import serving as wellbeing_serving
from citizen.wellbeing import services as wellbeing

MAX_ANSWERS = 30  # answers drawn per item


def _viewer(task, campaign, kind, me):
    """The JSON moderation.js draws: photo (pixel CRS), map cell (lon/lat over the campaign's tiles), an image
    or a text; and what the moderator's content settings say about it."""
    shown = kind.task_json(task.payload, campaign.settings)
    media = kind.media_urls(shown)  # the first of the kind's declared media is the one drawn
    view = {"mode": shown.get("mode") or ("image" if media else "text"),
            "image_url": media[0] if media else None, "text": shown.get("text"), "alt": shown.get("alt") or ""}
    if view["mode"] == "photo":
        view.update(width=shown["width"], height=shown["height"])
    elif view["mode"] == "map":
        view.update(geometry=shown["geometry"], bbox=shown["bbox"], tiles=shown.get("tiles") or {},
                    attribution=shown.get("attribution", ""))
    if view["image_url"] and wellbeing.is_active(campaign.settings):
        shield = wellbeing_serving.shielded_image(task, me)
        view.update(image_url=shield["image_url"], shield=shield["action"], warning=shield["warning"] or "",
                    reveal_url=shield["reveal_url"], alt=shield["alt"] or view["alt"])
    return view


def _editor(task, campaign, kind, view, result):
    """What moderation.js hands the kind's own widget to adjust a disputed result: the task as a volunteer gets
    it, its media as the moderator's viewer shows them (shielded alike), and the answer to start from. None when
    the moderator's content settings withhold the image: nothing to adjust boxes on."""
    if not view["image_url"]:
        return None
    shown = kind.replace_media(kind.task_json(task.payload, campaign.settings), lambda _url: view["image_url"])
    if kind.alt_field and kind.alt_field in shown:
        shown[kind.alt_field] = view["alt"]  # neutral under a blur: the original's describes what it hides
    return {"kind": kind.id, "task": {**shown, "id": task.id, "start": kind.review_start(stored(task.result))}}


def _answer_json(kind, campaign_id, row, critical, payload):
    value = row.value
    label = kind.label_of(value)
    out = {"who": pseudonym(campaign_id, row.contributor_id), "label": label, "counted": row.weight > 0,
           "critical": bool(label is not None and label in critical)}
    out.update(kind.answer_display(value, payload))  # marks, or the values typed
    return out


def _result_json(kind, campaign, state, result, payload):
    res = stored(result)  # computed when the answers came (citizen.campaigns.tally)
    override = state.get("override")
    out = {"answer": res.get("answer"), "share": res.get("share"), "tied": res.get("tied", False),
           "count": res.get("answers", state.get("n", 0)), "override": override,
           "counts": state.get("counts") or {}}
    if isinstance(override, dict) and not isinstance(override.get("answer"), str):  # marks, boxes: in words
        out["override_label"] = kind.answer_display(override.get("answer"), payload).get("label")
    out.update(kind.result_display(res, payload))  # consensus marks, fields...
    if kind.answer_labels(campaign.settings):
        out["options"] = kind.answer_labels(campaign.settings)
        out["majority"] = tally.majority(state)
    return out


def hydrate(items, user):
    """Add to each item of a page what the moderator needs to judge it (in place; returns items)."""
    me = my_contributor_id(user)
    task_ids = [i["task_id"] for i in items if i.get("task_id")]
    camp_ids = {i["campaign_id"] for i in items}
    campaigns = {c.id: c for c in db.session.execute(select(Campaign).where(Campaign.id.in_(camp_ids))).scalars()} \
        if camp_ids else {}
    tasks = {t.id: t for t in db.session.execute(select(Task).where(Task.id.in_(task_ids))).scalars()} \
        if task_ids else {}
    answers = {}
    if task_ids:
        for row in db.session.execute(select(Answer.id, Answer.task_id, Answer.contributor_id, Answer.value,
                                             Answer.weight).where(Answer.task_id.in_(task_ids)).order_by(Answer.id)):
            answers.setdefault(row.task_id, []).append(row)
    reports = {}
    if task_ids:
        for r in db.session.execute(select(ContentReport).where(ContentReport.task_id.in_(task_ids),
                                                                ContentReport.status == OPEN)).scalars():
            reports.setdefault(r.task_id, []).append({"reason": r.reason, "note": r.note})
    for item in items:
        campaign = campaigns[item["campaign_id"]]
        item["campaign"] = {"id": campaign.id, "slug": campaign.slug, "title": campaign.title, "kind": campaign.kind}
        task = tasks.get(item.get("task_id"))
        if task is None:
            continue
        kind = get_kind(campaign.kind)
        critical = kind.critical(campaign.settings)
        state = task.consensus or {}
        item["task"] = {"id": task.id, "external_id": task.external_id, "answers": task.answer_count,
                        "redundancy": task.redundancy}
        rows = answers.get(task.id, [])
        item["answers"] = [_answer_json(kind, campaign.id, r, critical, task.payload) for r in rows[:MAX_ANSWERS]]
        item["result"] = _result_json(kind, campaign, state, task.result, task.payload)
        item["viewer"] = _viewer(task, campaign, kind, me)
        if kind.reviewable and item["reason"] == "disagreement":
            item["editor"] = _editor(task, campaign, kind, item["viewer"], item["result"])
        if kind.answer_labels(campaign.settings):
            item["options"] = kind.answer_labels(campaign.settings)
        item["report_notes"] = reports.get(task.id, [])
        if item["reason"] == "flag":
            state_now = wellbeing.load_item_state(campaign.settings, task.id, task.payload)
            item["rating"] = state_now.rating.level.label
        if item["reason"] == "escalation":
            first = next((r for r in rows if r.contributor_id in item.get("contributor_ids", ())), None)
            item["location"] = location(kind, task.payload, first.value if first else None)
    return items
