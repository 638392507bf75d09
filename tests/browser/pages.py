"""Page objects: what the browser tests read and press on each page, named once.

A test says `work.done_count` or `queue.items`, not the page's element ids; when a template changes its markup,
this file changes and the tests do not. Each object wraps a Playwright page (`.page`) and finds its parts by
role and label where the page offers them, by id where it does not.
"""
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

PASSWORD = "password123"  # the conftest make_user default


def settle(page, quiet_for=5_000):
    """Wait until the page has made no request for 500 ms, or `quiet_for` ms at most: a map still fetching demo
    tiles on a busy CI machine changes nothing that the test reads, so it goes on rather than failing."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_load_state("networkidle", timeout=quiet_for)
    except PlaywrightTimeout:
        pass


def box_of(locator):
    """The element's box on the page (it must be drawn, with a size)."""
    box = locator.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, box
    return box


class SignIn:
    """/account/login."""

    def __init__(self, page):
        self.page = page

    def sign_in(self, email, password=PASSWORD):
        """Sign in with the form; returns once the page says who is signed in (a Sign out button)."""
        self.page.goto("/account/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()
        return self


class WorkPage:
    """/campaigns/<slug>/work: the volunteer loop, whatever the kind (the question, map and transcription
    panels each have their own parts below), with the parts every kind shares."""

    # Readiness, as functions for page.wait_for_function: a task is on screen and can be answered.
    QUESTION_READY = "() => !!document.querySelector('#q-options button.answer:not([disabled])')"
    MAP_READY = "() => !!document.querySelector('#m-options button.answer:not([disabled])')"
    # ... and its imagery is loaded (a tile or the photo), for the map kinds and transcription.
    MAP_IMAGERY_READY = """() => !!document.querySelector('#m-options button.answer:not([disabled])') &&
  [...document.querySelectorAll('#m-map img.leaflet-tile, #m-map img.leaflet-image-layer')]
    .some(img => img.complete && img.naturalWidth > 0)"""
    MAP_PHOTO_READY = """() => !!document.querySelector('#m-options button.answer:not([disabled])') &&
  [...document.querySelectorAll('#m-map img.leaflet-image-layer')].some(img => img.complete && img.naturalWidth > 0)"""
    TRANSCRIPTION_READY = """() => !!document.querySelector('#tx-submit:not([disabled])') &&
  [...document.querySelectorAll('#tx-map img.leaflet-image-layer')].some(img => img.complete && img.naturalWidth > 0)"""
    # ... and every tile and photo of the map has arrived (for screenshots of the whole map).
    MAP_ALL_IMAGERY_LOADED = """() => !!document.querySelector('#m-options button.answer') &&
  [...document.querySelectorAll('#m-map img.leaflet-tile, #m-map img.leaflet-image-layer')].length > 0 &&
  [...document.querySelectorAll('#m-map img.leaflet-tile, #m-map img.leaflet-image-layer')]
    .every(img => img.complete && img.naturalWidth > 0)"""
    # Every map tile has arrived and faded in (before a screenshot).
    MAP_TILES_LOADED = ("() => [...document.querySelectorAll('#m-map img.leaflet-tile')]"
                        ".every(img => img.classList.contains('leaflet-tile-loaded'))")
    # What the question task on screen shows (its image address or its text), once it can be answered; else null.
    QUESTION_SHOWN = """() => {
  if (!document.querySelector('#q-options button.answer:not([disabled])')) return null;
  const img = document.querySelector('#q-image');
  return img.hidden ? document.querySelector('#q-text').textContent : img.src;
}"""
    # The question's image address once a task with a shown image can be answered; else null.
    QUESTION_IMAGE_SHOWN = """() => {
  const img = document.querySelector('#q-image');
  return document.querySelector('#q-options button.answer:not([disabled])') && !img.hidden && img.src || null;
}"""

    def __init__(self, page):
        self.page = page

    def open(self, slug):
        self.page.goto(f"/campaigns/{slug}/work")
        return self

    # --- every kind ---
    @property
    def done_count(self):
        return self.page.locator("#done-count")

    @property
    def message(self):
        return self.page.locator("#message")

    @property
    def error_message(self):
        return self.page.locator("#message.error")

    @property
    def task(self):
        return self.page.locator("#task")

    @property
    def skip_button(self):
        return self.page.locator("#skip")

    @property
    def queue_status(self):
        """The line "n answers waiting to send" (answers kept on the device until the network is back)."""
        return self.page.locator("#queue-status")

    @property
    def refused_items(self):
        """Answers the server refused when the queue sent them ("Not sent: ...")."""
        return self.page.locator("#queue-refused li")

    def queued(self):
        """The answers waiting in this browser's queue (js/queue.js), every campaign's."""
        return self.page.evaluate("() => window.citizenQueue.pending()")

    def wait_offline_ready(self):
        """Wait until the service worker controls the page's origin and keeps a copy of this page."""
        self.page.evaluate("() => navigator.serviceWorker.ready")
        self.page.wait_for_function("() => window.__pageKept === true || "
                                    "(caches.match(location.href).then(r => { window.__pageKept = !!r; }), false)")

    def wait_done_or_error(self, n, timeout=None):
        """Wait until the page counts n answers sent, or shows an error message."""
        self.page.wait_for_function("n => document.querySelector('#done-count').textContent === n || "
                                    "!!document.querySelector('#message.error')", arg=str(n), timeout=timeout)

    def expect_done(self, n, **kwargs):
        """The page counts n answers sent."""
        expect(self.done_count).to_have_text(str(n), **kwargs)

    # --- the question kind ---
    @property
    def answer_buttons(self):
        return self.page.locator("#q-options button.answer")

    @property
    def enabled_answer_buttons(self):
        return self.page.locator("#q-options button.answer:enabled")

    @property
    def image(self):
        return self.page.locator("#q-image")

    @property
    def text(self):
        return self.page.locator("#q-text")

    @property
    def zoom_in(self):
        return self.page.get_by_role("button", name="Zoom in")

    @property
    def whole_image(self):
        return self.page.get_by_role("button", name="Whole image")

    def image_scale(self):
        """How far the question's image is zoomed (1: the whole image)."""
        return self.page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image'))"
                                  ".transform).a")

    def next_question(self, previous=None):
        """Wait until a question task other than `previous` can be answered; returns what it shows (its image
        address or its text)."""
        return self.page.wait_for_function(
            f"prev => {{ const now = ({self.QUESTION_SHOWN})(); return now !== prev && now; }}",
            arg=previous).json_value()

    def next_image(self, previous=None):
        """Wait until a question task whose image differs from `previous` can be answered; returns its address."""
        return self.page.wait_for_function(
            f"prev => {{ const now = ({self.QUESTION_IMAGE_SHOWN})(); return now !== prev && now; }}",
            arg=previous).json_value()

    # --- the boxes kind ---
    BOXES_READY = """() => { const img = document.querySelector('#bx-image');
  return !!document.querySelector('#bx-none:not([disabled])') && img.complete && img.naturalWidth > 0; }"""

    @property
    def boxes_stage(self):
        """The image boxes are drawn on (it takes the keyboard when focused)."""
        return self.page.locator("#bx-stage")

    @property
    def boxes_drawn(self):
        return self.page.locator("#bx-boxes .bx-box")

    @property
    def boxes_selected(self):
        return self.page.locator("#bx-boxes .bx-box.selected")

    def box_class(self, name):
        return self.page.locator("#bx-classes").get_by_role("button", name=name)

    def box_attribute(self, label):
        return self.page.locator("#bx-attributes").get_by_label(label)

    @property
    def boxes_send(self):
        return self.page.locator("#bx-done")

    @property
    def boxes_none(self):
        return self.page.locator("#bx-none")

    @property
    def boxes_status(self):
        return self.page.locator("#bx-status")

    def drag_box(self, stage_box, start, end):
        """Draw a box with the mouse from `start` to `end`, fractions (x, y) of the image on screen."""
        mouse, x, y, w, h = self.page.mouse, stage_box["x"], stage_box["y"], stage_box["width"], stage_box["height"]
        mouse.move(x + w * start[0], y + h * start[1])
        mouse.down()
        for i in range(1, 6):
            mouse.move(x + w * (start[0] + (end[0] - start[0]) * i / 5), y + h * (start[1] + (end[1] - start[1]) * i / 5))
        mouse.up()

    # --- the map kinds (deforestation, damage, search) ---
    @property
    def map(self):
        return self.page.locator("#m-map")

    @property
    def map_photo(self):
        return self.page.locator("#m-map img.leaflet-image-layer")

    @property
    def map_answer_buttons(self):
        return self.page.locator("#m-options button.answer")

    @property
    def enabled_map_answer_buttons(self):
        return self.page.locator("#m-options button.answer:enabled")

    def map_answer(self, value):
        return self.page.locator(f"#m-options button.answer[data-value={value}]")

    @property
    def marks(self):
        """The sentence that says how many marks are drawn."""
        return self.page.locator("#m-marks")

    @property
    def drawn(self):
        """The marks drawn on the map (pins and shapes)."""
        return self.page.locator("#m-map .leaflet-marker-icon, #m-map path.leaflet-interactive")

    @property
    def pins(self):
        return self.page.locator("#m-map .leaflet-marker-icon")

    @property
    def shapes(self):
        return self.page.locator("#m-map path.leaflet-interactive")

    @property
    def modes(self):
        """The before/after switch of imagery with two dates."""
        return self.page.locator("#m-modes")

    def mode(self, name):
        return self.modes.locator(f"button[data-mode={name}]")

    def click_at(self, box, fx, fy):
        """Click the point at fractions (fx, fy) of `box` (page pixels), at a person's pace: Leaflet.draw
        ignores a click that comes within 50 ms of the last one. Returns where."""
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        self.page.wait_for_timeout(250)
        self.page.mouse.click(x, y)
        return x, y

    def draw_polygon(self, box, points):
        """Outline a shape with the polygon tool, through points given as fractions of `box`."""
        self.page.locator(".leaflet-draw-draw-polygon").click()
        for fx, fy in points:
            self.click_at(box, fx, fy)
        self.page.locator(".leaflet-draw-actions a", has_text="Finish").click()

    def place_pin(self, box, fx, fy):
        """Place a pin with the marker tool at fractions (fx, fy) of `box`; returns where it clicked."""
        self.page.locator(".leaflet-draw-draw-marker").click()
        return self.click_at(box, fx, fy)

    # --- the transcription kind ---
    @property
    def document(self):
        """The page image being transcribed."""
        return self.page.locator("#tx-map")

    @property
    def document_regions(self):
        return self.page.locator("#tx-map path.leaflet-interactive, #tx-map path")

    @property
    def form(self):
        return self.page.locator("#tx-form")

    @property
    def fields(self):
        """The form's inputs, one per field to transcribe."""
        return self.page.locator("#tx-fields input, #tx-fields select")

    @property
    def where(self):
        """Which document and page is shown."""
        return self.page.locator("#tx-where")

    def next_document_page(self, previous):
        """Wait until a page other than `previous` (a `where` text) is shown and can be transcribed."""
        self.page.wait_for_function("prev => document.querySelector('#tx-where').textContent !== prev",
                                    arg=previous)
        self.page.wait_for_function(self.TRANSCRIPTION_READY)
        return self.where.inner_text()


class FieldPage(WorkPage):
    """/campaigns/<slug>/work of a field campaign: where the volunteer is, the sites near them (list and map), a
    site's report form, the reports waiting on the phone."""

    # The list of sites has arrived (from the server, or from the sites kept on the phone).
    SITES_SHOWN = "() => document.querySelectorAll('#fd-sites button').length > 0"
    # The map's tiles have all arrived (before a screenshot).
    TILES_LOADED = ("() => [...document.querySelectorAll('#fd-map img.leaflet-tile')]"
                    ".every(img => img.classList.contains('leaflet-tile-loaded'))")

    @property
    def position(self):
        """"Finding where you are…", "Your position: ±12 m", or why the position is unknown."""
        return self.page.locator("#fd-position")

    @property
    def notice(self):
        """What just happened ("Report saved on your phone…"), at the top of the list."""
        return self.page.locator("#fd-notice")

    @property
    def map(self):
        return self.page.locator("#fd-map")

    @property
    def sites(self):
        """The site buttons of the list, nearest first."""
        return self.page.locator("#fd-sites button")

    def site(self, name):
        return self.sites.filter(has_text=name)

    @property
    def list_note(self):
        return self.page.locator("#fd-list-note")

    @property
    def nearest_button(self):
        return self.page.get_by_role("button", name="Go to the nearest site")

    @property
    def save_area_button(self):
        return self.page.get_by_role("button", name="Save this area for offline use")

    @property
    def area_status(self):
        return self.page.locator("#fd-area-status")

    @property
    def report_form(self):
        return self.page.locator("#fd-report")

    @property
    def site_name(self):
        return self.page.locator("#fd-site-name")

    @property
    def site_where(self):
        """Distance and direction of the chosen site."""
        return self.page.locator("#fd-site-where")

    @property
    def site_warning(self):
        return self.page.locator("#fd-site-warning")

    @property
    def photo_input(self):
        return self.page.locator("#fd-photo-input")

    @property
    def take_photo(self):
        """The big "Take a photo" button (the label of the file input)."""
        return self.page.locator("label.fd-take")

    @property
    def thumbnails(self):
        return self.page.locator("#fd-thumbs img")

    @property
    def photo_problem(self):
        return self.page.locator("#fd-photo-problem")

    @property
    def form_problem(self):
        return self.page.locator("#fd-form-problem")

    @property
    def send_button(self):
        return self.page.get_by_role("button", name="Send report")

    @property
    def back_button(self):
        return self.page.get_by_role("button", name="Back to the list")

    @property
    def field_queue(self):
        """The reports on this phone: "Waiting to send (n)", their names, "Sent: ...", "Not sent: ..."."""
        return self.page.locator("#fd-queue")

    @property
    def waiting_line(self):
        return self.page.locator("#fd-queue-line")

    @property
    def sent_items(self):
        return self.page.locator("#fd-queue-list li.fd-sent")

    @property
    def pending_items(self):
        return self.page.locator("#fd-queue-list li.fd-pending")

    def wait_for_sites(self):
        self.page.wait_for_function(self.SITES_SHOWN)
        return self

    def report(self, name, photos=(), answers=None):
        """Open the site `name`, add the photos (file paths or payloads), choose or type the answers
        ({label: value}; a radio is checked by its label) and send the report."""
        self.site(name).click()
        expect(self.site_name).to_have_text(name)
        if photos:
            self.photo_input.set_input_files(list(photos))
        for label, value in (answers or {}).items():
            field = self.page.get_by_label(label, exact=True)
            if field.get_attribute("type") == "radio":
                field.check()
            else:
                field.fill(value)
        self.send_button.click()


class TaskDiscussion:
    """The current task's discussion under the work page (talk), and the whole thread's page it links to."""

    def __init__(self, page):
        self.page = page

    @property
    def box(self):
        return self.page.locator("#talk-task")

    def open(self):
        """Unfold the box (it loads the thread of the task on screen)."""
        self.box.get_by_text("Discuss this task").click()
        return self

    @property
    def posts(self):
        return self.box.locator(".talk-post")

    @property
    def message(self):
        return self.box.get_by_role("status")

    def write(self, text, needs_expert=False):
        self.box.get_by_label("Your post").fill(text)
        if needs_expert:
            self.box.get_by_label("This needs an expert").check()
        self.box.get_by_role("button", name="Post").click()
        return self

    def open_whole_thread(self):
        self.box.get_by_role("link", name="Open the whole discussion").click()
        return self


class ManagePage:
    """/organise/<slug>/: an organiser's page of one campaign (numbers, imports, results, publishing)."""

    def __init__(self, page):
        self.page = page

    def open(self, slug):
        self.page.goto(f"/organise/{slug}/")
        return self

    @property
    def numbers(self):
        return self.page.locator("dl.numbers")

    @property
    def results_table(self):
        return self.page.locator("#results-table")

    @property
    def import_errors(self):
        return self.page.locator(".flash.error li")

    @property
    def previews(self):
        """The first imported tasks, shown as volunteers will see them."""
        return self.page.locator(".previews li")

    def upload(self, name, data, mime_type="text/csv"):
        """Import a file of tasks with the form."""
        self.page.get_by_label("File to import").set_input_files({"name": name, "mimeType": mime_type,
                                                                  "buffer": data})
        self.page.get_by_role("button", name="Import now").click()

    def publish(self):
        self.page.get_by_role("button", name="Publish campaign").click()

    # --- its tasks: select unanswered ones and delete them; close (after a confirmation) and reopen ---------
    @property
    def task_rows(self):
        return self.page.locator(".task-list tbody tr")

    def select_task(self, name):
        """Tick the task shown as `name` (its id from the import, or #<number>)."""
        self.page.get_by_label(name, exact=True).check()

    def delete_selected(self):
        self.page.get_by_role("button", name="Delete the selected tasks").click()

    def close(self, confirm=True):
        """Close the campaign: the button leads to a page that asks; answer it (or cancel)."""
        self.page.get_by_role("link", name="Close campaign").click()
        self.page.get_by_role("button" if confirm else "link",
                              name="Yes, close the campaign" if confirm else "Cancel").click()

    def reopen(self):
        self.page.get_by_role("button", name="Reopen campaign").click()

    @property
    def status(self):
        return self.page.locator("h1 .badge")


class TeamPage:
    """/team/: an organisation's people and their roles, and invitations (a one-time link or code)."""

    def __init__(self, page):
        self.page = page

    def open(self, org=None):
        self.page.goto("/team/" + (f"?org={org}" if org else ""))
        return self

    @property
    def members(self):
        return self.page.locator(".team-members li.member")

    def member(self, name):
        return self.members.filter(has=self.page.get_by_text(name, exact=True))

    def invite(self, role="moderator"):
        """Make an invitation; returns its link (shown once)."""
        self.page.get_by_label("Role", exact=True).select_option(label=role)
        self.page.get_by_role("button", name="Make an invitation").click()
        return self.page.get_by_label("Link", exact=True).input_value()

    @property
    def code(self):
        return self.page.locator(".invite-code")

    def change_role(self, name, role):
        self.page.get_by_label(f"Role of {name}").select_option(label=role)
        self.member(name).get_by_role("button", name="Change role").click()

    def remove(self, name):
        self.page.get_by_role("button", name=f"Remove {name} from the team").click()

    @property
    def message(self):
        return self.page.locator(".flash").first


class JoinPage:
    """/team/join?code=...: an invitation, to accept once signed in."""

    def __init__(self, page):
        self.page = page

    def join(self, org_name):
        self.page.get_by_role("button", name=f"Join {org_name}").click()


class ModerationQueue:
    """/moderation/: the moderators' queue of items to review, one keyboard shortcut per action."""

    def __init__(self, page):
        self.page = page

    def open(self):
        self.page.goto("/moderation/")
        return self

    @property
    def items(self):
        return self.page.locator(".mod-item")

    @property
    def current(self):
        """The item the keyboard acts on."""
        return self.page.locator(".mod-item.current")

    def count(self, reason="all"):
        """The number shown beside a filter (all, escalation, ...)."""
        return self.page.locator(f"#count-{reason}")

    @property
    def status(self):
        """What the last action did."""
        return self.page.locator("#mod-status")

    @property
    def empty(self):
        return self.page.get_by_role("heading", name="Nothing to review here.")

    @property
    def editor(self):
        """The panel where a disputed answer is adjusted in its kind's own widget (E on a boxes item)."""
        return self.page.locator("#mod-editor")

    @property
    def editor_boxes(self):
        return self.page.locator("#mod-editor .bx-box")

    @property
    def editor_reason(self):
        return self.page.get_by_role("textbox", name="Reason")

    @staticmethod
    def photo(item):
        return item.locator("img.leaflet-image-layer")

    @staticmethod
    def marks(item):
        return item.locator("path.leaflet-interactive")


class DataPage:
    """/data/ and /data/<slug>/: the open data pages."""

    def __init__(self, page):
        self.page = page

    def open(self, slug=None):
        self.page.goto(f"/data/{slug}/" if slug else "/data/")
        return self

    @property
    def heading(self):
        return self.page.get_by_role("heading", name="Open data")

    @property
    def methodology(self):
        return self.page.get_by_role("heading", name="Methodology")

    def file_link(self, name):
        """The link to one of a campaign's files (results.geojson, answers.csv, ...)."""
        return self.page.get_by_role("region", name="Files").get_by_role("link", name=name)

    def download(self, name):
        """Click a file's link; returns the Playwright download."""
        with self.page.expect_download() as info:
            self.file_link(name).click()
        return info.value
