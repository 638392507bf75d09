"""Features plug in through one explicit call (each package's init_app, called by create_app), and a test's
configuration replaces the instance's (issue 17)."""
import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

from citizen import create_app
from tests.conftest import base_config

ROOT = pathlib.Path(__file__).resolve().parent.parent
CITIZEN = ROOT / "citizen"
STARTERS = ("start", "start_after_commit")  # citizen.jobs.services: the calls that name a job to run


def _module_name(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imported_names(tree):
    """{name: object} of every `from X import Y [as Z]` in a module, at its top or inside a function."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                try:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    value = getattr(importlib.import_module(node.module), alias.name)
                names[alias.asname or alias.name] = value
    return names


def started_job_names():
    """Every job name the code can start: the first argument of each `jobs.start(...)` and
    `jobs.start_after_commit(...)` under citizen/, evaluated in its module (constants such as NOTIFY_JOB)."""
    names = {}
    for path in sorted(CITIZEN.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr in STARTERS and isinstance(n.func.value, ast.Name) and n.func.value.id == "jobs"]
        if not calls:
            continue
        module = importlib.import_module(_module_name(path))
        namespace = {**vars(module), **_imported_names(tree)}
        for call in calls:
            name = eval(compile(ast.Expression(call.args[0]), str(path), "eval"), namespace)  # noqa: S307
            names[name] = f"{path.relative_to(ROOT)}:{call.lineno}"
    return names


def _python(code):
    """Run `code` in a fresh interpreter (nothing imported or registered yet) and read the JSON it prints."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_fresh_create_app_has_a_handler_for_every_job_the_code_can_start(tmp_path):
    """A separate worker process calls create_app() and nothing else: it must be able to run every job."""
    started = started_job_names()
    # The scan finds the jobs started across the features (not an empty set that passes anything).
    assert {"moderation.notify", "quality.build", "results.recompute", "wellbeing.blur", "exports.geopackage",
            "engagement.update_mail", "transcription.render"} <= set(started)
    config = {k: v for k, v in base_config(tmp_path, "sqlite://").items() if k != "KINDS"}  # the default kinds
    registered = _python(
        "import json\n"
        "from citizen import create_app\n"
        "from citizen.jobs import services as jobs\n"
        f"create_app({config!r}, instance_path={str(tmp_path / 'instance')!r})\n"
        "print(json.dumps(sorted(jobs.registered())))\n")
    missing = {name: where for name, where in started.items() if name not in registered}
    assert not missing, f"jobs started here have no handler in a fresh create_app(): {missing}"


def test_importing_every_module_registers_no_job():
    """Importing a feature's modules (as a worker, a script or a test might) registers nothing: only init_app does."""
    registered = _python(
        "import importlib, json, pkgutil\n"
        "import citizen\n"
        "from citizen.jobs import services as jobs\n"
        "for m in pkgutil.walk_packages(citizen.__path__, 'citizen.'):\n"
        # Alembic's env.py runs only under Alembic; citizen.wsgi is the one module whose job is to call create_app.
        "    if not m.name.startswith('citizen.migrations') and m.name != 'citizen.wsgi':\n"
        "        importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(jobs.registered())))\n")
    assert registered == []


def test_each_feature_registers_its_own_blueprints_and_commands(tmp_path):
    """One call per feature in create_app: its blueprints and commands are there, the core's commands too."""
    app = create_app(base_config(tmp_path, "sqlite://"))
    assert {"accounts", "api", "campaigns", "organise", "wellbeing", "wellbeing_api", "exports", "moderation",
            "moderation_api", "engagement", "kinds", "demo"} <= set(app.blueprints)
    assert {"init-db", "jobs", "users", "release-leases", "results", "demo", "exports"} <= set(
        app.cli.list_commands(None))


def test_the_demo_tiles_exist_only_with_the_demo(tmp_path):
    without = create_app({**base_config(tmp_path, "sqlite://"), "DEMO": False})
    assert "demo" not in without.blueprints
    assert "demo" in without.cli.list_commands(None)  # `flask demo` can still load it on demand


def test_registering_another_handler_under_a_known_name_is_refused():
    from citizen.jobs import services as jobs

    def not_the_build(job, progress):
        return {}
    with pytest.raises(ValueError, match="quality.build"):
        jobs.register("quality.build", not_the_build)


BREAKS = """raise RuntimeError("the instance's config.py was read")\n"""


def test_a_test_config_replaces_the_instance_config(tmp_path):
    """Flask's tutorial (flaskr): with a test config, create_app reads neither instance/config.py nor the
    environment. A config.py that breaks anything that reads it leaves the test app alone."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(BREAKS)
    app = create_app(base_config(tmp_path, "sqlite://"), instance_path=str(instance))
    assert app.instance_path == str(instance) and app.testing
    with pytest.raises(RuntimeError, match="config.py was read"):  # without a test config it is read
        create_app(instance_path=str(instance))


def test_a_test_config_replaces_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CITIZEN_MODERATION_POLL_SECONDS", "97")
    monkeypatch.setenv("CITIZEN_DATABASE_URL", "sqlite://")
    instance = tmp_path / "instance"
    tested = create_app(base_config(tmp_path, "sqlite://"), instance_path=str(instance))
    assert tested.config["MODERATION_POLL_SECONDS"] != 97
    served = create_app(instance_path=str(instance))  # what `flask run` or gunicorn builds: the environment applies
    assert served.config["MODERATION_POLL_SECONDS"] == 97


def test_moderation_and_wellbeing_plug_their_answer_hooks_into_the_loop(tmp_path):
    from citizen.campaigns import hooks
    from citizen.moderation import channels, hot
    from citizen.training import services as training
    from citizen.predictions import services as predictions
    from citizen.wellbeing import blurring, serving
    app = create_app(base_config(tmp_path, "sqlite://"))
    assert app.extensions[hooks.EXTENSION] == {"suspended": hot.suspended, "escalate": hot.escalate,
                                               "gate": serving.gate, "shield_task": serving.shield_task,
                                               "media_guard": serving.media_guard,
                                               "publish_check": channels.check_publish,
                                               "revealed": serving.revealed, "derived_media": blurring.copies_of,
                                               "training": training.due,
                                               "prediction_shown": predictions.prediction_shown,
                                               "annotate_task": predictions.annotate_task}


def test_an_app_without_the_shield_is_refused():
    """A feature left out must not mean media handed out unshielded: the loop's hooks are checked at start."""
    from flask import Flask

    from citizen.campaigns import hooks
    from citizen.moderation import channels, hot
    from citizen.wellbeing import blurring, serving
    app = Flask("bare")
    hooks.register(app, suspended=hot.suspended, escalate=hot.escalate, gate=serving.gate,
                   media_guard=serving.media_guard)
    with pytest.raises(RuntimeError, match="shield_task"):
        hooks.check(app)
    with pytest.raises(ValueError, match="no hook shield"):
        hooks.register(app, shield=serving.shield_task)
    hooks.register(app, shield_task=serving.shield_task)
    with pytest.raises(RuntimeError, match="publish_check"):  # nor a campaign published whose alerts reach nobody
        hooks.check(app)
    hooks.register(app, publish_check=channels.check_publish)
    with pytest.raises(RuntimeError, match="revealed"):  # nor answers to blurred items counted as seen
        hooks.check(app)
    hooks.register(app, revealed=serving.revealed)
    with pytest.raises(RuntimeError, match="derived_media"):  # nor blurred copies left behind by deleted tasks
        hooks.check(app)
    hooks.register(app, derived_media=blurring.copies_of)
    with pytest.raises(RuntimeError, match="training"):  # nor unqualified volunteers handed work as if trained
        hooks.check(app)
    from citizen.training import services as training
    hooks.register(app, training=training.due)
    with pytest.raises(RuntimeError, match="prediction_shown"):  # nor answers stored without what they were shown
        hooks.check(app)
    from citizen.predictions import services as predictions
    hooks.register(app, prediction_shown=predictions.prediction_shown, annotate_task=predictions.annotate_task)
    hooks.check(app)


def test_features_plug_their_sections_into_the_campaign_settings(tmp_path):
    """The campaign form and campaigns.services import no feature: wellbeing, moderation, engagement and talk register
    their part of the settings, in create_app's order (the form shows them, and lists their errors, in it)."""
    from citizen.campaigns import sections
    from citizen.engagement import settings as engagement_settings
    from citizen.moderation import rules
    from citizen.wellbeing import ratings, services
    app = create_app(base_config(tmp_path, "sqlite://"))
    with app.app_context():
        registered = sections.all_sections()
        assert [s.name for s in registered] == ["wellbeing", "escalate_on", "outcome", "talk_export"]
        assert sections.templates() == ["wellbeing/campaign_settings.html", "moderation/campaign_settings.html",
                                        "engagement/campaign_settings.html", "talk/campaign_settings.html"]
        wellbeing = registered[0]
        assert (wellbeing.clean, wellbeing.prepare_import, wellbeing.after_import, wellbeing.after_update) == (
            ratings.clean_section, services.prepare_import, services.after_import, services.after_campaign_update)
        assert registered[1].clean is rules.clean_section and registered[2].clean is engagement_settings.clean_section


def test_a_section_problem_is_listed_with_every_other_and_changes_nothing(tmp_path):
    """Each section's errors reach the organiser together, one detail per bad field."""
    from citizen.campaigns import sections
    from citizen.kinds import get_kind
    app = create_app(base_config(tmp_path, "sqlite://"))
    with app.app_context():
        kind = get_kind("question")
        settings = kind.clean_settings({"question": "Is a person visible?", "options": ["yes", "no"]})
        errors = []
        before = dict(settings)
        sections.clean({"wellbeing": {"level": "gory"}, "escalate_on": "perhaps", "outcome": 7}, {}, kind,
                       settings, errors)
        assert [e["field"] for e in errors] == ["wellbeing.level", "escalate_on", "outcome"]
        assert settings == before


def test_an_app_without_the_ratings_section_is_refused():
    """Without wellbeing's section an import would store tasks unrated: create_app's check refuses such an app."""
    from flask import Flask

    from citizen.campaigns import sections
    from citizen.moderation import rules
    from citizen.wellbeing import ratings
    app = Flask("bare")
    sections.register(app, "escalate_on", rules.clean_section, rules.section_from_form, "x.html")
    with pytest.raises(RuntimeError, match="wellbeing"):
        sections.check(app)
    with pytest.raises(ValueError, match="escalate_on already"):
        sections.register(app, "escalate_on", rules.clean_section, rules.section_from_form, "x.html")
    sections.register(app, "wellbeing", ratings.clean_section, ratings.section_from_form, "y.html")
    sections.check(app)


def test_engagement_plugs_its_parts_into_the_public_pages(tmp_path):
    from flask import Flask

    from citizen.campaigns import pages
    from citizen.engagement import cards
    from citizen.engagement import pages as engagement_pages
    app = create_app(base_config(tmp_path, "sqlite://"))
    assert app.extensions[pages.EXTENSION] == {"home": cards.home, "campaign_page": engagement_pages.campaign_page}
    bare = Flask("bare")
    pages.register(bare, home=cards.home)
    with pytest.raises(RuntimeError, match="campaign_page"):
        pages.check(bare)
    with pytest.raises(ValueError, match="no part cards"):
        pages.register(bare, cards=cards.home)


def test_campaigns_give_the_kinds_routes_their_campaign_lookup(tmp_path):
    """A kind's organiser routes (transcription's render and more-answers) find their campaign through the kinds'
    registry, which campaigns fill: the kinds import no campaigns module."""
    from citizen.campaigns import services
    from citizen.kinds import registry
    app = create_app(base_config(tmp_path, "sqlite://"))
    assert app.extensions[registry.CAMPAIGNS] is services.managed_campaign
