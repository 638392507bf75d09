"""Sign in, register, sign out. A guest who registers or signs in keeps their answers."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from citizen.accounts import services
from citizen.accounts.forms import LoginForm, RegisterForm
from citizen.api.auth import GUEST_SESSION_KEY
from citizen.errors import InvalidInput
from citizen.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _next_url():
    target = request.args.get("next", "")
    parts = urlsplit(target)
    return target if target.startswith("/") and not parts.netloc and not target.startswith("//") else url_for("campaigns.home")


def _sign_in(user):
    services.adopt_guest(user, session.pop(GUEST_SESSION_KEY, None))
    db.session.commit()
    login_user(user, remember=True)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            _sign_in(user)
            return redirect(_next_url())
        form.password.errors.append(_("That e-mail and password do not match an account."))
    return render_template("accounts/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data, form.name.data, form.password.data)
        except InvalidInput as exc:
            for d in exc.details:
                getattr(form, d["field"]).errors.append(d["message"])
        else:
            _sign_in(user)
            flash(_("Welcome, %(name)s! Your answers so far are kept in your account.", name=user.name))
            return redirect(_next_url())
    return render_template("accounts/register.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.pop(GUEST_SESSION_KEY, None)
    return redirect(url_for("campaigns.home"))
