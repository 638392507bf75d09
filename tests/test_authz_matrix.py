"""The authorisation matrix: every route x every role gets exactly what it should (issue 10).

Roles: an anonymous visitor; a guest contributor (API token from POST /api/v1/guests, or the guest kept in the
session cookie on the site's pages); a volunteer (an account without any membership); a moderator and an organiser of
organisation A, which runs the campaigns under test; an organiser of another organisation B; an admin.

Every rule of app.url_map must be listed in MATRIX (test_the_matrix_lists_every_route fails on a new route, or a
new method of a route, until someone decides who may use it). Each case sends one request per role and compares the
status with the expected outcome:

    200, 201, 202 ...  allowed (exact status)
    REDIRECT           allowed: a 302 that is the route's normal answer (not to the sign-in page)
    LOGIN              needs login: 302 to /account/login (pages)
    401                needs login or a token (API; the moderation pages say so with a 401 page on purpose)
    403                signed in but not allowed
    404                hidden (a draft, or a campaign of another organisation that is not public)
    409, 422           allowed past authorisation, then refused (a conflict, invalid input), where marked

Writes would change what the next role sees, so every (case, role) request runs on its own copy of a database
prepared once per module (a SQLite file, copied in a fraction of a millisecond; the matrix runs on SQLite even when
the suite runs on PostgreSQL: access decisions do not depend on the database). API routes are checked twice: with
the bearer token (scripts) and with the session cookie (the site's own pages call the API). Pages are signed in
through the session cookie, as Flask-Login keeps it.

On top of the status, every response is checked for leaks: the title of a campaign never published appears only
to the staff of its organisation and admins, and nobody's e-mail address appears to anyone but its owner.
"""
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field

import pytest
from flask import url_for

from citizen import create_app
from citizen.accounts import events
from citizen.accounts import services as accounts
from citizen.accounts.models import ApiToken
from citizen.campaigns import services as campaigns
from citizen.engagement import profiles, updates
from citizen.extensions import db
from citizen.moderation import suspensions
from citizen.moderation.models import Escalation, Suspension
from citizen.accounts.signatures import pseudonym
from citizen.talk import services as talk
from citizen.team import services as team
from tests.conftest import PG_URL, QUESTION, _migrate, base_config
from tests.helpers import alert_channel, guest_id

ROLES = ("anonymous", "guest", "volunteer", "moderator", "organiser", "other_organiser", "admin")
STAFF_OF_A = ("moderator", "organiser", "admin")  # may know the titles of A's unpublished campaigns
DRAFT_TITLE = "Zq secret draft survey"
SHELVED_TITLE = "Zq shelved survey"
LOGIN, REDIRECT = "login", "redirect"


def row(anonymous, guest, volunteer, moderator, organiser, other_organiser, admin):
    """One line of the matrix, in the order of ROLES."""
    return dict(zip(ROLES, (anonymous, guest, volunteer, moderator, organiser, other_organiser, admin)))


def everyone(outcome):
    return row(*[outcome] * len(ROLES))


#                              anonymous guest  volunteer moderator organiser other_org admin
PUBLIC = everyone(200)
DRAFT_PAGE = row(                 404,   404,   404,      404,      200,      404,      200)
NO_SUCH_FILE = everyone(404)
# Pages under /organise/ (organisers only; a draft of organisation A does not exist for B's organiser).
ORGANISE = row(                   LOGIN, LOGIN, 403,      403,      200,      403,      200)
ORGANISE_DRAFT = row(             LOGIN, LOGIN, 403,      403,      200,      404,      200)
ORGANISE_ACT = row(               LOGIN, LOGIN, 403,      403,      REDIRECT, 403,      REDIRECT)
ORGANISE_ACT_DRAFT = row(         LOGIN, LOGIN, 403,      403,      REDIRECT, 404,      REDIRECT)
# Task actions of the API: any contributor the task was handed to (anonymous has no identity: 401).
ANY_CONTRIBUTOR = row(            401,   200,   200,      200,      200,      200,      200)
# /moderation/?org=<A>: moderators and organisers of A, admins. Anonymous visitors and guests get a 401 page
# with a sign-in link, not a redirect (deliberate, see citizen.moderation.views._staff_only).
MODERATION = row(                 401,   401,   403,      200,      200,      403,      200)
MODERATION_ORGANISERS = row(      401,   401,   403,      403,      200,      403,      200)
# The same pages without ?org=: each member of staff gets their own organisation's (B's organiser, B's).
STAFF_OWN = row(                  401,   401,   403,      200,      200,      200,      200)
ORGANISERS_OWN = row(             401,   401,   403,      403,      200,      200,      200)

# Posting with a discussion's form: a signed-in account; a guest's cookie is not one (the sign-in page).
TALK_FORM = row(                  LOGIN, LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
TALK_FORM_DRAFT = row(            LOGIN, LOGIN, 404,      404,      REDIRECT, 404,      REDIRECT)

MATRIX = {
    # --- public pages ---------------------------------------------------------------------------------------
    "campaigns.home": {"GET": PUBLIC},
    "campaigns.show": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    "campaigns.work": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    # Media names are unguessable (citizen.storage.media): the URL is the capability, drafts' files included.
    "campaigns.media": {"GET": PUBLIC},
    "demo.tile": {"GET": PUBLIC},
    # Offline use of the work pages: the app's manifest and its service worker, the same for everyone.
    "offline.manifest": {"GET": PUBLIC},
    "offline.service_worker": {"GET": PUBLIC},
    "accounts.login": {"GET": PUBLIC, "POST": PUBLIC},  # a wrong password shows the form again (200)
    "accounts.register": {"GET": PUBLIC, "POST": PUBLIC},  # an empty form is shown again with its errors (200)
    # A guest's cookie is not an account: there is nothing to sign out of, so the sign-in page.
    "accounts.logout": {"POST": row(LOGIN, LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    # One's own account: password, API tokens. A token is revoked by its owner here (admins: the CLI); anyone
    # else's token does not exist for them.
    "accounts.account": {"GET": row(LOGIN, LOGIN, 200, 200, 200, 200, 200)},
    "accounts.change_password": {"POST": row(LOGIN, LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    "accounts.create_token": {"POST": row(LOGIN, LOGIN, 200, 200, 200, 200, 200)},
    "accounts.revoke_token": {"POST": row(LOGIN, LOGIN, 404, 404, REDIRECT, 404, 404)},
    # --- open data --------------------------------------------------------------------------------------------
    "exports.index": {"GET": PUBLIC},
    "exports.campaign_page": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    # The world's campaigns are questions: tasks without places have no map files, for anyone (issue 19; who may
    # read a map campaign's files: tests/test_exports.py and tests/test_exports_readable.py).
    "exports.stream": {"GET": PUBLIC, "GET answers": PUBLIC, "GET geojson": NO_SUCH_FILE, "GET draft": DRAFT_PAGE,
                       "GET draft-answers": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    "exports.saved": {"GET": PUBLIC, "GET draft": DRAFT_PAGE},  # a file by its saved name, <slug>-results.csv
    "exports.readme": {"GET": PUBLIC, "GET draft": DRAFT_PAGE},
    "exports.data_package": {"GET": PUBLIC, "GET draft": DRAFT_PAGE},
    "exports.geopackage": {"GET": NO_SUCH_FILE, "GET draft": NO_SUCH_FILE},
    "exports.geopackage_progress": {"GET": NO_SUCH_FILE, "GET draft": NO_SUCH_FILE},
    # --- engagement: profiles are the visitor's own (a guest's too); public profiles are public ----------------
    "engagement.me": {"GET": PUBLIC},  # anonymous: an empty profile that invites them to start
    "engagement.my_certificate": {"GET": PUBLIC},
    # Saving one's profile makes an anonymous visitor a guest (no account needed to start), as answering does.
    "engagement.save_me": {"POST": everyone(REDIRECT)},
    "engagement.volunteer": {"GET": PUBLIC, "GET private": everyone(404)},
    "engagement.volunteer_certificate": {"GET": PUBLIC, "GET private": everyone(404)},
    # Not behind /organise/'s gate (organisers of any organisation), so for a draft only its organisers see more
    # than "not found", as on the campaign page.
    "engagement.dashboard": {"GET": ORGANISE, "GET draft": row(LOGIN, LOGIN, 404, 404, 200, 404, 200),
                             "GET b": row(LOGIN, LOGIN, 403, 403, 403, 200, 200)},
    "engagement.post_update": {"POST": ORGANISE_ACT},
    # The update of A's campaign, deleted through a campaign of B: B's organiser must not reach it (404).
    "engagement.delete_update": {"POST": ORGANISE_ACT,
                                 "POST b": row(LOGIN, LOGIN, 403, 403, 403, 404, 404)},
    "wellbeing.preferences": {"GET": PUBLIC, "POST": everyone(REDIRECT)},  # anonymous becomes a guest
    # --- organisers' pages ------------------------------------------------------------------------------------
    "organise.index": {"GET": row(LOGIN, LOGIN, 403, 403, 200, 200, 200)},
    # The map kinds' tile check: organisers of any organisation (it reads no campaign); asked with no address, 422.
    "map_tiles.tile_check": {"GET": row(LOGIN, LOGIN, 403, 403, 422, 422, 422)},
    "organise.new": {"GET": row(LOGIN, LOGIN, 403, 403, 200, 200, 200),
                     "POST": row(LOGIN, LOGIN, 403, 403, REDIRECT, REDIRECT, REDIRECT)},  # into their own org
    "organise.manage": {"GET": ORGANISE, "GET draft": ORGANISE_DRAFT,
                        "GET b": row(LOGIN, LOGIN, 403, 403, 403, 200, 200),
                        "POST": ORGANISE_ACT, "POST draft": ORGANISE_ACT_DRAFT},
    "organise.edit": {"GET": ORGANISE, "GET draft": ORGANISE_DRAFT, "POST": ORGANISE_ACT},
    "organise.quality": {"GET": ORGANISE},  # moderators read the same report through the API
    "organise.publish": {"POST draft": ORGANISE_ACT_DRAFT},
    "organise.close": {"GET": ORGANISE, "POST": ORGANISE_ACT},  # the GET asks first
    "organise.translations": {"GET": ORGANISE, "GET draft": ORGANISE_DRAFT, "POST": ORGANISE_ACT},
    # A map kind's organiser route (the demo campaign under test is a question campaign: its area is none, so the
    # organiser is sent back to the manage page with the reason).
    "map_tiles.area_parts": {"POST": ORGANISE_ACT},
    "organise.guide_image": {"POST": ORGANISE_ACT},  # no image sent: back to the manage page with the reason
    "organise.reopen": {"POST": ORGANISE_ACT},
    # A preview's thumbnail: the campaign's organisers (no such token in the world: 404 for them).
    "organise.preview_thumbnail": {"GET": row(LOGIN, LOGIN, 403, 403, 404, 403, 404)},
    "organise.delete_tasks": {"POST": ORGANISE_ACT},
    "organise.mark_gold": {"POST": ORGANISE_ACT},
    # Training: its page is read by the campaign's organisers and moderators (who see who was sent back to
    # training); changed by its organisers. The task under test is no training task: 404 past authorisation.
    "training.manage": {"GET": row(LOGIN, LOGIN, 403, 200, 200, 403, 200)},
    "training.add": {"POST": ORGANISE_ACT},
    "training.rules": {"POST": ORGANISE_ACT},
    "training.remove": {"POST": row(LOGIN, LOGIN, 403, 403, 404, 403, 404)},
    "training_api.answer": {"POST": row(401, 404, 404, 404, 404, 404, 404)},
    "training_api.state": {"GET": ANY_CONTRIBUTOR},
    # A model in the loop: organisers (and their models' API tokens) send predictions and set the routing; the
    # outcomes are for organisers and moderators (who settle disagreements); verified labels for organisers.
    "predictions.manage": {"GET": row(LOGIN, LOGIN, 403, 200, 200, 403, 200)},
    "predictions.upload": {"POST": ORGANISE_ACT},  # no file: back to the page with the reason
    "predictions.routing": {"POST": ORGANISE_ACT},  # no predictions yet: back to the page with the reason
    "predictions_api.import_predictions": {"POST": row(401, 403, 403, 403, 422, 403, 422)},
    "predictions_api.set_routing": {"PUT": row(401, 403, 403, 403, 422, 403, 422)},
    "predictions_api.outcomes": {"GET": row(401, 403, 403, 200, 200, 403, 200)},
    "predictions_api.verified": {"GET": row(401, 403, 403, 403, 200, 403, 200)},
    "organise.create_event_code": {"POST": ORGANISE_ACT},
    "organise.end_event_code": {"POST": ORGANISE_ACT},
    "transcription.more_answers": {"POST": ORGANISE_ACT},
    "transcription.render_again": {"POST": ORGANISE_ACT},
    "transcription.render_status": {"GET": ORGANISE, "GET draft": ORGANISE_DRAFT},
    # --- team: an organisation's organisers (each their own without ?org=; the forms name A) -------------------
    "team.index": {"GET": row(LOGIN, LOGIN, 403, 403, 200, 200, 200)},
    "team.invite": {"POST": row(LOGIN, LOGIN, 403, 403, 200, 200, 200)},
    "team.withdraw": {"POST": row(LOGIN, LOGIN, 403, 403, REDIRECT, 403, REDIRECT)},
    "team.change_role": {"POST": row(LOGIN, LOGIN, 403, 403, REDIRECT, 403, REDIRECT)},
    "team.remove": {"POST": row(LOGIN, LOGIN, 403, 403, REDIRECT, 403, REDIRECT)},
    "team.join": {"GET": PUBLIC},  # without a code: the form to type one
    "team.accept": {"POST": row(LOGIN, LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    # --- moderation ------------------------------------------------------------------------------------------
    "moderation.queue": {"GET": MODERATION, "GET own": STAFF_OWN},
    "moderation.poll": {"GET": MODERATION, "GET own": STAFF_OWN},
    "moderation.suspension_list": {"GET": MODERATION, "GET own": STAFF_OWN},
    "moderation.alert_settings": {"GET": MODERATION_ORGANISERS, "GET own": ORGANISERS_OWN,
                                  "POST": row(401, 401, 403, 403, REDIRECT, 403, REDIRECT)},
    # Moderators read their organisation's audit log too (without the alert settings' secrets).
    "moderation.audit_log": {"GET": MODERATION, "GET own": STAFF_OWN},
    "moderation.audit_csv": {"GET": MODERATION, "GET own": STAFF_OWN},
    # An escalation, a suspension and the queue's items belong to A whatever the URL says (MODERATION_ITEMS):
    # B's organiser passes the gate (staff of B) and is refused by the item's own check.
    "moderation.act": {"POST": MODERATION, "POST task": MODERATION, "POST contributor": MODERATION},
    "moderation.escalation": {"GET": MODERATION},
    "moderation.reached": {"GET": MODERATION},
    "moderation.live_link": {"POST": row(401, 401, 403, 403, REDIRECT, 403, REDIRECT)},
    "moderation.send_test": {"POST": row(401, 401, 403, 403, REDIRECT, 403, REDIRECT)},
    # The response team's live page: its secret link is the credential, whoever holds it (a signed-in account
    # gives nothing more, nor less).
    "live.page": {"GET": PUBLIC},
    "live.feed": {"GET": PUBLIC},
    "live.seen": {"POST": PUBLIC},
    "moderation.lift": {"POST": row(401, 401, 403, REDIRECT, REDIRECT, 403, REDIRECT)},
    # --- API ---------------------------------------------------------------------------------------------------
    "api.openapi": {"GET": PUBLIC},
    "api.create_guest": {"POST": everyone(201)},
    "api.list_campaigns": {"GET": PUBLIC},
    "api.show_campaign": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    "api.results": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "GET shelved": DRAFT_PAGE},
    # Volunteers need no account: asking for a task makes an anonymous visitor a guest (kept in the cookie).
    "api.next_task": {"POST": PUBLIC,
                      # a draft takes no answers: its organisers are told so (409), everyone else finds nothing
                      "POST draft": row(404, 404, 404, 404, 409, 404, 409),
                      "POST shelved": row(404, 404, 404, 404, 409, 404, 409)},
    # The GET is the API's contract for a Bearer token; a cookie (another site's <img>) never leases: 405.
    "api.next_task_get": {"GET": {"bearer": row(405, 200, 200, 200, 200, 200, 200), "cookie": everyone(405)},
                          "GET draft": {"bearer": row(405, 404, 404, 404, 409, 404, 409), "cookie": everyone(405)}},
    # The work page's "still here" and "I left" (a contributor's own leases only).
    "api.extend_leases": {"POST": ANY_CONTRIBUTOR},
    "api.release_leases": {"POST": ANY_CONTRIBUTOR},
    # The organiser API: a guest's token is known but not allowed (403), no token at all is 401. The body names
    # organisation A, where B's organiser may not create campaigns. An empty body is let past the access check
    # and refused as invalid (B's organiser has one organisation, so the campaign would go there).
    "api.create_campaign": {"POST": row(401, 403, 403, 403, 201, 403, 201),
                            "POST invalid": row(401, 403, 403, 403, 422, 422, 422)},
    "api.import_tasks": {"POST": row(401, 403, 403, 403, 201, 403, 201),
                         "POST b": row(401, 403, 403, 403, 403, 201, 201),
                         "POST draft": row(401, 403, 403, 403, 201, 404, 201)},
    "api.import_answers": {"POST": row(401, 403, 403, 403, 201, 403, 201)},
    "api.publish": {"POST draft": row(401, 403, 403, 403, 200, 404, 200)},
    "api.quality_report": {"GET": row(401, 403, 403, 200, 200, 403, 200)},
    "api.submit_answer": {"POST": row(401, 201, 201, 201, 201, 201, 201)},
    "api.skip_task": {"POST": ANY_CONTRIBUTOR},
    # Back: a contributor's own last answer only; none of these roles answered the task (404, never another's).
    "api.change_answer": {"PUT": row(401, 404, 404, 404, 404, 404, 404)},
    "moderation_api.report": {"POST": row(401, 201, 201, 201, 201, 201, 201)},
    "wellbeing_api.flag": {"POST": row(401, 201, 201, 201, 201, 201, 201)},
    "wellbeing_api.reveal": {"POST": ANY_CONTRIBUTOR},
    "wellbeing_api.rate": {"POST": row(401, 403, 403, 200, 200, 403, 200)},
    # Content settings belong to whoever asks (a visitor's defaults; saving makes them a guest).
    "wellbeing_api.get_preferences": {"GET": PUBLIC},
    "wellbeing_api.put_preferences": {"PUT": PUBLIC},
    "wellbeing_api.my_budget": {"GET": PUBLIC},
    # --- talk: anyone who may see a campaign reads its discussions; accounts write (a guest's token is known but
    # not enough: 403); the organisation's staff hide posts. Drafts: only their organisers (and admins) post. ----
    "talk.campaign_thread": {"GET": PUBLIC, "GET draft": DRAFT_PAGE, "POST": TALK_FORM, "POST draft": TALK_FORM_DRAFT},
    # (the task is the published campaign's: through a draft's address it is no task of that campaign, 404)
    "talk.task_thread": {"GET": PUBLIC, "GET draft": everyone(404), "POST": TALK_FORM,
                         "POST draft": row(LOGIN, LOGIN, 404, 404, 404, 404, 404)},
    "talk.act_from_form": {"POST": row(LOGIN, LOGIN, 403, REDIRECT, REDIRECT, 403, REDIRECT),
                           "POST report": row(LOGIN, LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    "talk.moderation_page": {"GET": row(LOGIN, LOGIN, 403, 200, 200, 200, 200)},
    "talk.read_notifications": {"POST": everyone(REDIRECT)},
    "talk_api.thread_api": {"GET": PUBLIC, "GET draft": everyone(404), "POST": row(401, 403, 201, 201, 201, 201, 201),
                            "POST draft": row(401, 403, 404, 404, 404, 404, 404)},
    "talk_api.report_post": {"POST": row(401, 403, 201, 201, 201, 201, 201)},
    "talk_api.hide_post": {"POST": row(401, 403, 403, 200, 200, 403, 200)},
    # --- the field kind: anyone reads sites near a place; any contributor (a visitor becomes a guest) sends photos
    # and proposals, refused here as invalid past the access check; staff (organisers and moderators of A) see
    # volunteers' photos, take them down and settle proposals. ------------------------------------------------
    "field.nearby": {"GET field": PUBLIC},
    "field.sites_in_box": {"GET field": PUBLIC},
    "field.photo_upload": {"GET field": PUBLIC, "PUT field": everyone(422)},
    "field.photo_whole": {"POST field": everyone(422)},
    "field.propose": {"POST field": everyone(422)},
    "field.confirm": {"POST field": everyone(422)},
    "field_staff.photo": {"GET field": row(LOGIN, LOGIN, 403, 200, 200, 403, 200)},
    "field_staff.remove": {"POST removable": row(LOGIN, LOGIN, 403, REDIRECT, REDIRECT, 403, REDIRECT)},
    "field_staff.decide": {"POST field": row(LOGIN, LOGIN, 403, REDIRECT, REDIRECT, 403, REDIRECT)},
}
UNLISTED = {"static", "kinds.static"}  # files of the site itself, and of its kinds
MODERATION_ITEMS = {"moderation.act", "moderation.escalation", "moderation.reached", "moderation.lift"}

# Variants: which objects fill the URL (see World.params) or the query string.
VARIANTS = {
    "draft": {"slug": "draft"},
    "shelved": {"slug": "shelved"},
    "b": {"slug": "b"},
    "answers": {"name": "answers.csv"},
    "geojson": {"name": "results.geojson"},
    "draft-answers": {"slug": "draft", "name": "answers.csv"},
    "draft-coco": {"slug": "draft", "name": "boxes-coco.json"},
    "private": {"public_id": "private"},
    "own": {"org": None},
    "report": {"action": "report"},
    "task": {}, "contributor": {}, "invalid": {},  # the same URL, another body (BODIES)
    "field": {"slug": "field"}, "removable": {"slug": "field", "photo": "removable"},
}
FIELD_QUERY = {"field.nearby": {"lat": "36.2", "lon": "36.16"}, "field.sites_in_box": {"bbox": "36.15,36.19,36.17,36.21"}}

QUESTION_FORM = {"summary": "Boats after the storm", "kind": "question", "redundancy": "2", "licence": "CC0-1.0",
                 "question": "Is there a boat?", "options": "Yes\nNo\n"}


def _tasks_file():
    return (io.BytesIO(json.dumps([{"external_id": "new-1", "text": "One more"}]).encode()), "more.json")


# What each case sends besides its URL: {"json": ...} or {"data": ...}; a callable gets the World.
BODIES = {
    ("accounts.login", "POST"): {"data": {"email": "nobody@example.org", "password": "not-the-password"}},
    ("accounts.register", "POST"): {"data": {}},
    ("accounts.change_password", "POST"): {"data": {"current": "password123", "new": "another password"}},
    ("accounts.create_token", "POST"): {"data": {"label": "script", "days": "30"}},
    ("organise.create_event_code", "POST"): {"data": {"max_guests": "30", "hours": "2"}},
    ("organise.close", "POST"): {"data": {"confirm": "yes"}},
    ("organise.translations", "POST"): {"data": {"into": "es", "title": "Encontrar tejados rojos"}},
    ("organise.delete_tasks", "POST"): lambda w: {"data": {"task": str(w.handed["first"])}},
    ("team.invite", "POST"): {"data": {"role": "moderator"}},
    ("team.withdraw", "POST"): {"data": {"org": "test-org"}},
    ("team.change_role", "POST"): {"data": {"org": "test-org", "role": "organiser"}},
    ("team.remove", "POST"): {"data": {"org": "test-org"}},
    ("team.accept", "POST"): {"data": {"code": "AAAA-BBBB-CCCC-DDDD"}},
    ("engagement.save_me", "POST"): {"data": {"display_name": "Kim"}},
    ("engagement.post_update", "POST"): {"data": {"title": "Halfway there", "body": "Thank you all."}},
    ("wellbeing.preferences", "POST"): {"data": {"extreme_opt_in": ""}},
    ("organise.new", "POST"): lambda w: {"data": {**QUESTION_FORM, "title": "Count the boats",
                                                  "organisation_id": str(w.org_a)}},
    ("organise.edit", "POST"): {"data": {**QUESTION_FORM, "title": "Find red roofs again"}},
    ("organise.manage", "POST"): lambda w: {"data": {"action": "import", "file": _tasks_file()}},
    # The queue's items, each checked by its own path: an escalation, a task, a contributor of the campaign.
    ("moderation.act", "POST"): lambda w: {"json": {"item": f"escalation:{w.escalation}", "action": "confirm"}},
    ("moderation.act", "POST task"): lambda w: {"json": {"item": f"flag:{w.handed['first']}", "action": "hide",
                                                         "reason": "Shows a face"}},
    ("moderation.act", "POST contributor"): lambda w: {"json": {"item": w.contributor_item, "action": "suspend",
                                                                "reason": "Answers at random"}},
    ("moderation.lift", "POST"): {"data": {"reason": "A mistake"}},
    ("moderation.alert_settings", "POST"): {"data": {"emails": "alerts@example.org"}},
    ("live.seen", "POST"): lambda w: {"json": {"viewer": "ab" * 16, "ids": [w.escalation]}},
    ("api.create_campaign", "POST"): lambda w: {"json": {"title": "Count the boats", "kind": "question",
                                                         "settings": QUESTION, "organisation_id": w.org_a}},
    ("api.create_campaign", "POST invalid"): {"json": {}},
    ("api.import_tasks", "POST"): {"json": [{"external_id": "new-1", "text": "One more"}]},
    ("api.import_answers", "POST"): {"json": {"answers": [{"external_id": "t7", "contributor": "paper-1",
                                                           "value": "no"}]}},
    ("api.submit_answer", "POST"): {"json": {"value": "no", "duration_ms": 5000}},
    ("api.change_answer", "PUT"): {"json": {"value": "no"}},
    ("training_api.answer", "POST"): {"json": {"value": "no"}},
    ("predictions_api.import_predictions", "POST"): {"json": [{"external_id": "t7", "model": "v1", "answer": "maybe",
                                                             "confidence": 0.5}]},
    ("predictions_api.set_routing", "PUT"): {"json": {"model": "v1"}},
    ("predictions.routing", "POST"): {"data": {"model": "v1"}},
    ("training.add", "POST"): {"data": {"task": "t7", "stage": "tutorial", "answer": "no"}},
    ("training.rules", "POST"): {"data": {"pass_mark": "80", "retrain_below": "0"}},
    ("moderation_api.report", "POST"): {"json": {"reason": "abusive", "note": "Rude words"}},
    ("wellbeing_api.flag", "POST"): {"json": {"level": "graphic"}},
    ("wellbeing_api.rate", "POST"): {"json": {"level": "mild"}},
    ("wellbeing_api.put_preferences", "PUT"): {"json": {"extreme_opt_in": False}},
    ("talk.campaign_thread", "POST"): {"data": {"body": "Is a red shed a roof?"}},
    ("talk.task_thread", "POST"): {"data": {"body": "Is a red shed a roof?"}},
    ("talk.act_from_form", "POST"): {"data": {"reason": "Advertising"}},
    ("talk.act_from_form", "POST report"): {"data": {"reason": "spam"}},
    ("talk_api.thread_api", "POST"): {"json": {"body": "Is a red shed a roof?"}},
    ("talk_api.report_post", "POST"): {"json": {"reason": "spam"}},
    ("talk_api.hide_post", "POST"): {"json": {"reason": "Advertising"}},
    ("field.propose", "POST field"): {"json": {}},
    ("field.confirm", "POST field"): {"json": {}},
    ("field_staff.decide", "POST field"): {"data": {"decision": "reject"}},
}


@dataclass
class World:
    """What the prepared database holds, by id (the objects live in the database file)."""
    path: str
    media: str
    root: object = None
    org_a: int = 0
    published: str = ""
    draft: str = ""
    shelved: str = ""
    campaign_b: str = ""
    update: int = 0
    escalation: int = 0
    suspension: int = 0
    public_id: str = ""
    contributor_item: str = ""
    private_id: str = ""
    media_name: str = ""
    live_token: str = ""
    users: dict = field(default_factory=dict)      # role -> user id
    session_ids: dict = field(default_factory=dict)  # role -> the id a signed-in session keeps (User.get_id)
    organiser_token_id: int = 0
    event_code: int = 0
    invitation: int = 0
    emails: dict = field(default_factory=dict)     # role -> e-mail address
    tokens: dict = field(default_factory=dict)     # role -> bearer token
    guest_id: int = 0
    handed: dict = field(default_factory=dict)     # role -> a task of the published campaign handed to them
    post: int = 0                                  # a volunteer's post in the published campaign's discussion
    field_slug: str = ""                           # a published field campaign of A: its slug, a site, photos
    field_task: int = 0
    photos: dict = field(default_factory=dict)     # "kept", "removable" -> a volunteer's photo's key
    proposal: int = 0

    def params(self, rule, role, variant):
        """Values for the rule's URL arguments (and query string) for this role and variant."""
        # Pages about an organisation name A (?org=test-org); actions on an item do not: the item's organisation
        # decides, past the gate that lets any member of staff in.
        org = None if rule.endpoint in MODERATION_ITEMS else "test-org"
        chosen = {**{"slug": "published", "name": None, "public_id": "public", "org": org, "action": "hide"},
                  **VARIANTS.get(variant, {})}
        slugs = {"published": self.published, "draft": self.draft, "shelved": self.shelved, "b": self.campaign_b,
                 "field": self.field_slug}
        values = {}
        for arg in rule.arguments:
            if arg == "slug":
                values[arg] = slugs[chosen["slug"]]
            elif arg == "task_id" and chosen["slug"] == "field":
                values[arg] = self.field_task
            elif arg == "task_id":
                values[arg] = self.handed.get(role, self.handed["first"])
            elif arg == "upload_id":
                values[arg] = "0123456789abcdef"
            elif arg == "proposal_id":
                values[arg] = self.proposal
            elif arg == "key":
                values[arg] = self.photos[chosen.get("photo", "kept")]
            elif arg == "escalation_id":
                values[arg] = self.escalation
            elif arg == "suspension_id":
                values[arg] = self.suspension
            elif arg == "update_id":
                values[arg] = self.update
            elif arg == "token_id":
                values[arg] = self.organiser_token_id
            elif arg == "code_id":
                values[arg] = self.event_code
            elif arg == "token":
                if rule.endpoint.startswith("live."):  # the response team's live page
                    values[arg] = self.live_token
                else:  # a preview's thumbnail
                    values.update(token="0" * 32, n=0)
            elif arg == "invitation_id":
                values[arg] = self.invitation
            elif arg == "member_id":
                values[arg] = self.users["moderator"]
            elif arg == "public_id":
                values[arg] = self.public_id if chosen["public_id"] == "public" else self.private_id
            elif arg == "name" and rule.endpoint == "campaigns.media":
                values[arg] = self.media_name
            elif arg == "name" and rule.endpoint == "exports.kind_file":
                values[arg] = chosen["name"] or "boxes-coco.json"  # the question campaigns here have none
            elif arg == "name":
                values[arg] = chosen["name"] or "results.csv"
            elif arg == "post_id":
                values[arg] = self.post
            elif arg == "action":
                values[arg] = chosen["action"]
            elif arg == "saved":
                values[arg] = f"{slugs[chosen['slug']]}-results.csv"
            elif arg == "layer":
                values.update(layer="forest-before", z=0, x=0, y=0)
            elif arg not in ("z", "x", "y", "n"):
                raise AssertionError(f"{rule.endpoint}: nothing fills <{arg}>; add it to World.params")
        query = {"org": chosen["org"]} if rule.endpoint.startswith("moderation.") and chosen["org"] else {}
        return values, {**query, **FIELD_QUERY.get(rule.endpoint, {})}


def _config(root, tmp, uri):
    return {**base_config(tmp, uri), "MEDIA_FOLDER": str(root / "media"), "EXPORTS_FOLDER": str(tmp / "exports"),
            "PRIVATE_FOLDER": str(root / "private")}


def _bearer(token):
    return {"Authorization": "Bearer " + token}


def _build(world, app):
    """Two organisations, the people of every role, and campaigns with answers, an escalation, a suspension, an
    update, a public and a private profile, a media file; each role holds a task of the published campaign."""
    client = app.test_client()
    org_a = accounts.get_or_create_organisation("test-org", "Test Org")
    org_b = accounts.get_or_create_organisation("other-org", "Other Org")
    people = {"volunteer": (None, None), "moderator": (org_a, "moderator"), "organiser": (org_a, "organiser"),
              "other_organiser": (org_b, "organiser"), "admin": (None, None)}
    users = {}
    for role, (org, grant) in people.items():
        user = accounts.register_user(f"{role.replace('_', '-')}@example.org", role.title(), "password123")
        if grant:
            accounts.grant(user, org, grant)
        user.is_admin = role == "admin"
        users[role] = user
    db.session.flush()
    world.org_a = org_a.id
    world.users = {role: u.id for role, u in users.items()}
    world.emails = {role: u.email for role, u in users.items()}
    world.tokens = {role: accounts.create_api_token(u) for role, u in users.items()}
    world.session_ids = {role: u.get_id() for role, u in users.items()}
    world.organiser_token_id = db.session.execute(db.select(ApiToken.id).where(
        ApiToken.user_id == users["organiser"].id)).scalar_one()

    organiser = users["organiser"]
    tasks = [{"external_id": f"t{i}", "text": f"Task number {i}"} for i in range(12)]
    published = campaigns.create_campaign(org_a.id, organiser, {
        "title": "Find red roofs", "kind": "question", "redundancy": 3, "settings": QUESTION, "escalate_on": ["yes"]})
    campaigns.import_tasks(published, "tasks.json", json.dumps(tasks))
    world.live_token = alert_channel(org_a)  # its answers escalate: an alert channel that works
    campaigns.publish(published)
    draft = campaigns.create_campaign(org_a.id, organiser, {"title": DRAFT_TITLE, "kind": "question",
                                                            "settings": QUESTION})
    campaigns.import_tasks(draft, "tasks.json", json.dumps(tasks[:3]))
    shelved = campaigns.create_campaign(org_a.id, organiser, {"title": SHELVED_TITLE, "kind": "question",
                                                              "settings": QUESTION})
    campaigns.import_tasks(shelved, "tasks.json", json.dumps(tasks[:3]))
    campaigns.close(shelved)  # closed before it was ever published: as private as a draft
    theirs = campaigns.create_campaign(org_b.id, users["other_organiser"], {"title": "Count the cows",
                                                                            "kind": "question", "settings": QUESTION})
    campaigns.import_tasks(theirs, "tasks.json", json.dumps(tasks[:3]))
    campaigns.publish(theirs)
    db.session.commit()
    world.published, world.draft, world.shelved, world.campaign_b = published.slug, draft.slug, shelved.slug, theirs.slug

    # Two guests answer (one "yes": an escalation); one of them is then suspended, the other shows a public profile.
    answerers = []
    for value in ("yes", "no"):
        token = client.post("/api/v1/guests").get_json()["token"]
        for _ in range(2):
            task = client.get(f"/api/v1/campaigns/{published.slug}/tasks/next", headers=_bearer(token)).get_json()
            r = client.post(f"/api/v1/tasks/{task['id']}/answers", headers=_bearer(token),
                            json={"value": value, "duration_ms": 5000})
            assert r.status_code == 201, r.get_json()
        answerers.append(accounts.guest_id_from_token(token))
    world.escalation = db.session.execute(db.select(Escalation.id)).scalars().first()
    assert world.escalation
    suspensions.suspend(organiser, org_a.id, [answerers[1]], published.id, "Copy-paste answers")
    world.suspension = db.session.execute(db.select(Suspension.id)).scalar_one()
    profiles.save_preferences(answerers[0], {"display_name": "Ana", "public": True})
    profiles.save_preferences(answerers[1], {"display_name": "Bo", "public": False})
    world.contributor_item = f"contributor:{published.id}:{pseudonym(published.id, answerers[0])}"
    world.public_id = profiles.get_profile(answerers[0]).public_id
    world.private_id = profiles.get_profile(answerers[1]).public_id
    update = updates.post_update(published, organiser, "We started", "Thank you for coming.")
    world.event_code = events.create_code(published, organiser, 30, 2).id
    world.invitation = team.invite(organiser, published.organisation, "moderator")[0].id
    db.session.commit()
    world.update = update.id
    world.post = talk.write(published, None, users["volunteer"], {"body": "Is a red shed a roof?"}).id
    db.session.commit()

    guest_token = client.post("/api/v1/guests").get_json()["token"]
    world.tokens["guest"] = guest_token
    world.guest_id = accounts.guest_id_from_token(guest_token)
    world.handed["first"] = db.session.execute(db.select(db.func.min(Escalation.task_id))).scalar()
    for role, token in world.tokens.items():
        r = client.get(f"/api/v1/campaigns/{published.slug}/tasks/next", headers=_bearer(token))
        assert r.status_code == 200, (role, r.get_json())
        world.handed[role] = r.get_json()["id"]

    folder = os.path.join(world.media, "campaigns", str(published.id))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "0a1b2c3d4e5f-roof.png"), "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
    world.media_name = f"campaigns/{published.id}/0a1b2c3d4e5f-roof.png"
    _build_field(world, client, org_a, organiser)


def _build_field(world, client, org, organiser):
    """A published field campaign of A with two sites, two photos a guest sent, and a proposal."""
    from PIL import Image
    from citizen.kinds.field.models import FieldProposal
    c = campaigns.create_campaign(org.id, organiser, {"title": "Check the bins", "kind": "field",
                                                      "settings": {"photos_min": 0, "proposals": True}})
    campaigns.import_tasks(c, "sites.csv", b"name,lat,lon\nBin 1,36.2,36.16\nBin 2,36.201,36.161\n")
    campaigns.publish(c)
    db.session.commit()
    world.field_slug = c.slug
    world.field_task = db.session.execute(db.select(db.func.min(db.text("task.id"))).select_from(
        db.text("task")).where(db.text(f"task.campaign_id = {c.id}"))).scalar()
    token = client.post("/api/v1/guests").get_json()["token"]
    for name in ("kept", "removable"):
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (20, 120, 60)).save(out, "JPEG")
        r = client.post(f"/api/v1/tasks/{world.field_task}/photos", headers=_bearer(token),
                        data={"photo": (io.BytesIO(out.getvalue()), "bin.jpg")}, content_type="multipart/form-data")
        assert r.status_code == 201, r.get_json()
    from citizen.kinds.field.models import FieldPhoto
    keys = db.session.execute(db.select(FieldPhoto.key).order_by(FieldPhoto.id)).scalars().all()
    world.photos = {"kept": keys[0], "removable": keys[1]}
    proposal = FieldProposal(campaign_id=c.id, contributor_id=None, key="p", name="New bin", lat=36.205, lon=36.17,
                             accuracy=5, status="proposed", confirmations=0)
    db.session.add(proposal)
    db.session.commit()
    world.proposal = proposal.id


@pytest.fixture(scope="module")
def world(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("authz")
    path = root / "world.db"
    if PG_URL:  # the access decisions do not depend on the database: this matrix always runs on SQLite
        _migrate("sqlite:///" + str(path), root)
    else:
        shutil.copy(request.getfixturevalue("database_template"), path)
    w = World(path=str(path), media=str(root / "media"), root=root)
    app = create_app(_config(root, root, "sqlite:///" + str(path)))
    with app.app_context():
        _build(w, app)
        db.session.remove()
        db.engine.dispose()
    return w


def _cases():
    for endpoint, methods in MATRIX.items():
        for key in methods:
            yield pytest.param(endpoint, key, id=f"{endpoint}-{key.replace(' ', '-')}")


def _outcome(response):
    if response.status_code in (301, 302, 303):
        return LOGIN if "/account/login" in response.headers.get("Location", "") else REDIRECT
    return response.status_code


def _fresh_database(app, world, tmp):
    """Put the prepared world back (the previous role may have changed it): a new copy of the file."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.copy(world.path, tmp / "test.db")
    shutil.rmtree(tmp / "exports", ignore_errors=True)


def _request(app, world, endpoint, key, role, transport):
    """One request as `role`; returns (outcome, response text)."""
    method, _sep, variant = key.partition(" ")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    values, query = world.params(rule, role, variant)
    with app.test_request_context():
        url = url_for(endpoint, **values)
    client = app.test_client()
    headers = {}
    if transport == "bearer":
        if role != "anonymous":
            headers = _bearer(world.tokens[role])
    else:
        with client.session_transaction() as session:
            if role == "guest":
                session["guest_id"] = world.guest_id
            elif role != "anonymous":
                session["_user_id"] = world.session_ids[role]  # signed in (as Flask-Login keeps it)
                session["_fresh"] = True
    body = BODIES.get((endpoint, key), BODIES.get((endpoint, method), {}))
    body = body(world) if callable(body) else body
    with app.app_context():
        response = client.open(url, method=method, query_string=query, headers=headers, **body)
        return _outcome(response), response.get_data().decode("utf-8", "replace")


@pytest.mark.parametrize(("endpoint", "key"), list(_cases()))
def test_route_gives_each_role_what_it_should(world, tmp_path, endpoint, key):
    cases = MATRIX[endpoint][key]
    app = create_app(_config(world.root, tmp_path, "sqlite:///" + str(tmp_path / "test.db")))
    transports = ("bearer", "cookie") if endpoint.split(".")[0].endswith("api") else ("cookie",)
    wrong = []
    for transport in transports:
        expected = cases.get(transport, cases) if isinstance(cases.get(transport), dict) else cases
        for role in ROLES:
            _fresh_database(app, world, tmp_path)
            outcome, text = _request(app, world, endpoint, key, role, transport)
            if outcome != expected[role]:
                wrong.append(f"{role} ({transport}): expected {expected[role]}, got {outcome} {text[:160]!r}")
            for title in (DRAFT_TITLE, SHELVED_TITLE):
                if role not in STAFF_OF_A and title in text:
                    wrong.append(f"{role} ({transport}): {title!r}, never published, leaks")
            for owner, email in world.emails.items():
                # A whole address: "organiser@..." is also the tail of "other-organiser@..." (whose own page shows it).
                if owner != role and re.search(r"(?<![\w.+-])" + re.escape(email), text):
                    wrong.append(f"{role} ({transport}): {owner}'s e-mail address leaks")
    _fresh_database(app, world, tmp_path)
    assert not wrong, f"{endpoint} {key}:\n  " + "\n  ".join(wrong)


def test_the_matrix_lists_every_route(tmp_path):
    app = create_app(base_config(tmp_path, "sqlite://"))
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in UNLISTED:
            routes.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert not missing, f"routes without a line in the authorisation matrix: {missing}"
    assert not stale, f"matrix lines for routes that no longer exist: {stale}"
    for endpoint, methods in routes.items():
        listed = {key.split()[0] for key in MATRIX[endpoint]}
        assert listed == methods, f"{endpoint}: the matrix checks {sorted(listed)}, the route takes {sorted(methods)}"
    for endpoint, cases in MATRIX.items():
        for key, expected in cases.items():
            for by_role in ([expected[t] for t in ("bearer", "cookie")] if "bearer" in expected else [expected]):
                assert set(by_role) == set(ROLES), (endpoint, key)
            assert key.partition(" ")[2] in ("", *VARIANTS), (endpoint, key)


def test_a_guest_made_by_a_failed_request_is_not_kept_in_the_cookie(app, make_campaign):
    """The error rolls the new guest back; a cookie keeping its id would share one identity with whoever gets that
    id next (SQLite hands it out again)."""
    draft = make_campaign(publish=False)
    first, second = app.test_client(), app.test_client()
    assert first.post(f"/api/v1/campaigns/{draft.slug}/tasks/next").status_code == 404
    assert second.post("/me", data={"display_name": "x" * 500}).status_code == 422
    for client in (first, second):
        with client.session_transaction() as session:
            assert "guest_id" not in session
    published = make_campaign()
    ids = set()
    for client in (first, second, app.test_client()):
        assert client.post(f"/api/v1/campaigns/{published.slug}/tasks/next").status_code == 200
        ids.add(guest_id(client))
    assert len(ids) == 3
