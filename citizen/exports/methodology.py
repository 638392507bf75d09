"""README.md: the methodology note that goes with a campaign's files, generated from its settings.

It says how the data was collected (kind, redundancy, quality controls in force), how the
consensus was computed, what the influence report found, what each column means, and what was
done to protect volunteers. The influence report (leave-one-out over the most active volunteers)
costs one Dawid-Skene run per volunteer checked: it is built by a job per data version with the batch
consensus (citizen.campaigns.builds) and the note shows the last complete build, with its date.
"""
import json
import os
from datetime import datetime, timezone

import bleach
import markdown as md
from sqlalchemy import func, select

from citizen.kinds import get_kind
from citizen.campaigns.models import Participation
from citizen.exports import extra, geo, precision
from citizen.exports.rows import ANSWER_COLUMNS, Results, iso
from citizen.extensions import db
from citizen.campaigns import builds
from citizen.quality import controls, unanimous

LICENCES = {
    "CC0-1.0": ("CC0 1.0 Universal (public domain dedication)", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
CSV_FORMULAS = ("Text typed by volunteers never becomes a spreadsheet formula: a text cell that starts with `=`, `+`, "
                "`-`, `@`, a tab or a carriage return (other than a plain number such as `-12.5`) is written with "
                "a leading apostrophe (`'=HYPERLINK(...)`); remove it to get the text as typed. Number columns "
                "are written as plain numbers and are not changed.")


def N_(text):
    """Marks a text for the catalogues without translating it: the files say it in English, the data pages
    translate it when they render (`_(text)` in data/campaign.html)."""
    return text


FILES = [
    ("results.csv", N_("One row per task: the consensus answer, its confidence, the number of answers, the agreement, "
                       "a moderator's override if any, and the columns of this kind of campaign. Text that a "
                       "spreadsheet would run as a formula starts with an apostrophe.")),
    ("results.geojson", N_("The same rows as map features (WGS84): the map cell or the photo's position, with the "
                           "consensus marks of map campaigns. Tasks without a place have no geometry.")),
    ("results.gpkg", N_("The results as a GeoPackage for QGIS or ArcGIS, one layer per geometry type.")),
    ("answers.csv", N_("Every answer: task, volunteer pseudonym, answer, time, duration and the weight it carried. "
                       "Text that a spreadsheet would run as a formula starts with an apostrophe.")),
    ("datapackage.json", N_("A Frictionless Data Package describing every file, its columns and types, and the licence.")),
    ("README.md", N_("This note.")),
]
GEO_FILES = ("results.geojson", "results.gpkg")


def files(campaign):
    """(name, description) of a campaign's files: the map files only for kinds whose tasks have places (a campaign
    without places gets no empty GeoJSON or GeoPackage)."""
    spatial = get_kind(campaign.kind).spatial
    return [(name, text) for name, text in FILES if spatial or name not in GEO_FILES]


def saved_name(campaign, name):
    """The name a file is saved under, the same in the download, in datapackage.json and in this note's links:
    <slug>-<name> (the site answers at /data/<slug>/<slug>-<name> too, so the links work on the site and in a
    folder of downloaded files alike)."""
    return f"{campaign.slug}-{name}"


def kind_files(campaign):
    """[(name, description)] of the files the campaign's kind adds (Kind.export_files: the boxes' COCO JSON), and
    those of features its organiser publishes (citizen.exports.extra: the discussions)."""
    return [(name, text) for name, text, _type, _format in
            get_kind(campaign.kind).export_files(campaign.settings or {})] + [
        (f.name, f.description()) for f in extra.of(campaign)]


def licence(code):
    title, url = LICENCES.get(code, (code, ""))
    return {"name": code, "title": title, "path": url}


def pct(x):
    return f"{x * 100:.4g} %"


# --- the influence report -----------------------------------------------------------------------
def influence_summary(campaign, version=None, compute=None):
    """{"voters_checked", "largest_share", "flagged", "clusters", "linked_accounts", "decided",
    "results", "limit", "built_at", "data_version"} for kinds with fixed answers, as of the campaign's last
    complete build (citizen.campaigns.builds: a job per data version); {} for the other kinds; None before the
    first build. compute=True builds it now for the current data (the CLI)."""
    kind = get_kind(campaign.kind)
    if not kind.answer_labels(campaign.settings or {}):
        return {}
    if compute:
        return builds.build(campaign).get("influence_summary")
    return builds.influence_summary(campaign)


# --- the note -----------------------------------------------------------------------------------
def _table(columns):
    lines = ["| Column | Type | Meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c.name}` | {c.type} | {c.description.replace('|', '/')} |" for c in columns]
    return "\n".join(lines)


def _collection(campaign, kind, quality):
    s = campaign.settings or {}
    out = [f"- **Kind of campaign**: {kind.label}."]
    own = kind.methodology_collection(s, campaign.redundancy)
    if own is not None:
        out += own
    else:
        out.append(f"- Each task asks for **{campaign.redundancy}** answers, each from a different volunteer "
                   f"(the database allows one answer per volunteer per task).")
    if quality["min_answers"]:
        out.append(f"- Dynamic overlap: a task may stop after **{quality['min_answers']}** answers when volunteers "
                   f"proven on known-answer tasks agree with a confidence of at least {quality['confidence']}; "
                   f"so `answers` can be below `redundancy` for easy tasks.")
    out.append("- Answers imported by the organisers (collected elsewhere, e.g. on paper) went through the same "
               "checks; they have `source` = import in answers.csv.")
    return out


def _controls(campaign, quality, fast):
    cap = controls.answer_cap(quality, campaign.tasks_total, campaign.redundancy)
    out = [f"- **Minimum time**: answers given in less than {quality['min_ms'] / 1000:g} s, as the server measures "
           f"it from the moment the task was handed out (`duration_ms`), are kept but carry no weight (`counted` = "
           f"false in answers.csv; {fast} such answers so far); so are answers given after the task was handed back.",
           f"- **Skips**: up to {quality['skip_free']} skips are free; a volunteer who skips more than "
           f"{pct(quality['skip_share'] / 2)} of the tasks handed to them weighs less, and at "
           f"{pct(quality['skip_share'])} is handed no more tasks."]
    if cap is not None:
        parts = [f"no volunteer, and no group of linked accounts (the same device), may give more than "
                 f"{pct(quality['cap_share'])} of the campaign's expected answers, i.e. at most **{cap}** answers, "
                 f"though everyone may answer every task once"] if quality["cap_share"] else []
        if quality["cap_answers"]:
            parts.append(f"at most {quality['cap_answers']} answers per volunteer")
        out.append("- **Caps**: " + "; ".join(parts) + ".")
    else:
        out.append("- **Caps**: none (any volunteer may answer every task).")
    if quality["cap_per_day"]:
        out.append(f"- At most {quality['cap_per_day']} answers per volunteer per day.")
    gold = (campaign.settings or {}).get("gold_count", 0)
    if gold:
        out.append(f"- **Known-answer (gold) tasks**: {gold} tasks have a known answer. Newcomers are shown one "
                   f"{pct(quality['gold_start'])} of the time, decreasing to {pct(quality['gold_end'])} over their "
                   f"first {quality['gold_decay']} answers; how often a volunteer gets them right sets the weight of "
                   f"their answers. Which tasks were gold is published (`gold`) once the campaign is closed; until "
                   f"then a gold task reads like any other (the crowd's answer, answer counts shown up to the "
                   f"task's redundancy, its first answers only in answers.csv).")
    else:
        out.append("- **Known-answer (gold) tasks**: none in this campaign.")
    out.append(f"- A result counts as **decided** when its confidence reaches {quality['confidence']} and it stays "
               f"ahead without its two strongest votes (the strongest against each other answer): a result that one "
               f"or two volunteers could turn is published, but not as decided.")
    if quality.get("close_after"):
        out.append(f"- A task is handed out no more once {quality['close_after']} answers from different devices "
                   f"agree (80 % or more); answers that still come and would change it mark it `under_review` for "
                   f"moderators.")
    return out


def _consensus(campaign, kind):
    s = campaign.settings or {}
    own = kind.methodology_consensus(s)
    if own is not None:
        return own + kind.methodology_more(s)
    out = ["Answers are combined with a **Dawid-Skene** (1979) family model: it learns from the data how reliable each "
           "volunteer is and weighs their answers accordingly; `confidence` is the posterior probability of the "
           "answer. Which variant (a confusion matrix per volunteer, the same shrunk toward everyone's, or one "
           "accuracy per volunteer; majority vote as the floor) is chosen per campaign by how well each predicts "
           "the known-answer tasks held out of its fit. citizen adds safeguards against a few people skewing the data:",
           "",
           "- **Groups of accounts count as one**: accounts from the same device vote once per task. Accounts on one "
           "network, or arriving together, are grouped only when they deviate from everyone else's consensus on the "
           "same tasks with the same answer far more than chance allows; such a group's answers are kept but do "
           "not count. Agreement alone never groups anyone: good volunteers agree.",
           "- **Bounded weights**: one vote moves the odds between two answers by at most a factor of e³ (weight 3); "
           "volunteers at or below chance, with fewer than 5 answers, or far better on known-answer tasks than "
           "elsewhere (they know which tasks those are) get no weight (their answers are kept, and shown with "
           "`voter_weight` 0).",
           "- **Influence limit**: a group of accounts (linked, or sharing an arrival burst, a device or a network) "
           "that would change more than the campaign's share of decided results if left out counts for less, "
           "step by step, until it does not (its answers are kept). Single volunteers are not scaled down: the "
           "two-vote margin of a decided result keeps any one of them from deciding alone.",
           "- Known-answer tasks are fixed to their answer; answers faster than the minimum time are left out.",
           "- Until some volunteer on a task has earned weight, the leading answer by vote share is shown, "
           "never as decided (`method` majority), unless the unanimous rule below decides it.",
           "",
           *UNANIMOUS]
    out += kind.methodology_more(s)
    return out


UNANIMOUS = [
    f"**The unanimous rule.** The model trusts nobody with fewer than {unanimous.SEASONED} answers, so on a young "
    f"campaign three volunteers who all said the same thing would leave a task undecided. So a task is also decided "
    f"when at least {unanimous.MIN_VOTERS} different volunteers answered it and every one of them gave the same "
    f"answer (`method` unanimous). Accounts linked to each other (one device, or a group that deviates together) "
    f"count as one volunteer; volunteers whose answers count for less (skipping tasks to pick their own, a group "
    f"above the influence limit) or for nothing (muted as a coordinated group, suspended, too fast, or judged no "
    f"better than chance by the model) are not counted among the {unanimous.MIN_VOTERS}, and any volunteer who "
    f"disagrees, unless muted, breaks the rule.",
    "",
    "**What decided each result** (`method` in results.csv and the results API): `dawid-skene` (the model above), "
    "`unanimous` (the rule above), `gold` (a known-answer task, published once the campaign is closed), "
    "`agreement` (enough answers from different devices agreed), `majority` (the plain vote share: shown, never "
    "decided by itself) or `moderator` (a moderator's decision, which wins over all others)."]


def _influence(summary):
    if summary == {}:
        return []
    if summary is None:
        return ["## Influence report", "",
                "Being prepared: it is computed off the request after the first answers, and then appears here."]
    return ["## Influence report", "",
            f"For the {summary['voters_checked']} most active volunteers and groups of accounts (grouped ones, and "
            f"those sharing a device, a network or an arrival burst, grouped or not), the consensus was computed "
            f"again without their answers. The largest share of decided results that one of "
            f"them could change is **{pct(summary['largest_share'])}**; **{summary['flagged']}** went above the "
            f"campaign's limit of {pct(summary['limit'])} and were flagged to moderators. "
            f"{summary['clusters']} groups of linked accounts were found ({summary['linked_accounts']} accounts). "
            f"{summary['decided']} of {summary['results']} results with answers are decided."
            + (f" (Computed {summary['built_at']} from data version `{summary['data_version']}`.)"
               if summary.get("built_at") else "")]


def readme(campaign, version, base_url="", summary=...):
    """The methodology note (Markdown) for this version of the campaign's data."""
    kind = get_kind(campaign.kind)
    quality = controls.of(campaign.settings)
    if summary is ...:
        summary = influence_summary(campaign, version)
    fast = db.session.execute(select(func.coalesce(func.sum(Participation.fast_count), 0))
                              .where(Participation.campaign_id == campaign.id)).scalar()
    lic = licence(campaign.licence)
    now = datetime.now(timezone.utc)
    page = f"{base_url}/data/{campaign.slug}/"
    results = Results(campaign)
    lines = [
        f"# {campaign.title}: open data", "",
        f"{campaign.summary}".strip(), "",
        f"Published by **{campaign.organisation.name}** under the [{lic['title']}]({lic['path']}) licence "
        f"(`{lic['name']}`). Source: {page}", "",
        f"- Exported: {iso(now)}",
        f"- Data as of: {iso(version.modified)} ({version.answers} answers on {version.tasks} tasks; "
        f"data version `{version.tag}`)",
        f"- Campaign status: {campaign.status}", "",
        "Results change while a campaign runs: download the files together (they are of the same data version "
        "when their ETag headers share it) and cite the date above.", "",
        "## The files", "",
        "| File | What it holds |", "| --- | --- |",
        *[f"| [{saved_name(campaign, name)}]({saved_name(campaign, name)}) | {text} |"
          for name, text in files(campaign) + kind_files(campaign)], "",
        "CSV files are UTF-8 (no byte-order mark), comma-separated, with a header row; empty cells mean no value; "
        "booleans are `true`/`false`; structured values are JSON. In Excel use Data > From Text/CSV.", "",
        CSV_FORMULAS, "",
        "## How the data was collected", "",
        *_collection(campaign, kind, quality), "",
        "## Quality controls in force", "",
        *_controls(campaign, quality, fast), "",
        "## How the consensus is computed", "",
        *_consensus(campaign, kind), "",
        *_influence(summary), "",
        *extra.notes(campaign),
        "## Volunteers' privacy", "",
        "- Volunteers appear only as a pseudonym (`v-` and ten letters or digits): a keyed hash of the campaign and "
        "the volunteer. It is the same for one volunteer throughout this campaign, different in every other "
        "campaign, and cannot be traced back to a person without the server's secret key.",
        "- No e-mail address, IP address, account number or device fingerprint is in any file.",
        "- Photos uploaded by organisers are re-encoded when imported: the copies linked here carry no EXIF data "
        "(no camera details, no GPS tag). A photo's position, where the organiser's file had one, is given only as "
        "the task's point on the map.",
        "- A task a moderator hid (personal data, for instance) is left out of every file, with its answers, and its "
        "media are no longer served to the public. A picture rated sensitive is linked only as its blurred copy, "
        "or not at all: `media_note` says which.", "",
        "## Columns of results.csv" + (" (and the properties of results.geojson)" if results.spatial else ""), "",
        _table(results.typed_columns()), "",
    ]
    if results.spatial:
        lines += ["results.geojson and the GeoPackage also carry `marks` (the consensus marks as a GeoJSON "
                  "FeatureCollection, each with `kind`, `support`, `agreement` and `contributors`, the number of "
                  "volunteers who answered) and `marks_crs`: `lonlat` (WGS84) for map cells, `pixel` for photos "
                  "(x, y from the top-left corner, y downwards). The GeoPackage's `marks_points` and "
                  "`marks_polygons` layers hold the map cells' marks as features of their own. Coordinates are "
                  f"rounded to {precision.LONLAT_DIGITS} decimals of a degree (about 10 cm) and "
                  f"{precision.PIXEL_DIGITS} decimal of a pixel; media links are absolute.", ""]
    lines += ["## Columns of answers.csv", "", _table(ANSWER_COLUMNS), ""]
    return "\n".join(lines)


TAGS = ["p", "br", "a", "ul", "ol", "li", "strong", "em", "h1", "h2", "h3", "h4", "code", "pre", "hr",
        "table", "thead", "tbody", "tr", "th", "td"]


def as_html(text):
    """The note as sanitised HTML for the data page (organisers wrote the title and summary)."""
    html = md.markdown(text, extensions=["tables", "sane_lists"])
    return bleach.clean(html, tags=TAGS, attributes={"a": ["href", "title", "rel"]},
                        protocols=["http", "https"], strip=True)
