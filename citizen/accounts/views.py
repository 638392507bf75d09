"""Sign in, register, sign out; the account page (password, sign out everywhere, API tokens). A guest who signs
in keeps their answers."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from citizen.accounts import events, services
from citizen.accounts.forms import LoginForm, PasswordForm, RegisterForm, TokenForm
from citizen.accounts.auth import EVENT_SESSION_KEY, GUEST_SESSION_KEY
from citizen.errors import InvalidInput
from citizen.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.before_app_request
def _remember_event_code():
    """A campaign link with ?event=CODE (an organiser's event code): kept in the session, so the guest this
    visitor becomes counts against the code, not against the address everyone at the event shares."""
    if request.method == "GET" and not request.path.startswith(("/api/", "/static/")):
        code = events.clean_code(request.args.get("event"))
        if code is not None and session.get(EVENT_SESSION_KEY) != code:
            session[EVENT_SESSION_KEY] = code


def _next_url():
    """Where to go after signing in: a path on this site, or the home page. Browsers read a backslash as a slash
    and drop tabs and newlines, so "/\\evil.example" or "/\t/evil.example" would leave the site: refused."""
    target = request.args.get("next", "")
    if any(c in target for c in "\\\t\r\n") or any(ord(c) < 32 for c in target):
        return url_for("campaigns.home")
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
    """A new e-mail and an e-mail that already has an account get the same answer (nobody learns which addresses
    have accounts): the account is made only for a new one, and either way the person signs in next."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.sign_up(form.email.data, form.name.data, form.password.data)
        except InvalidInput as exc:
            for d in exc.details:
                getattr(form, d["field"]).errors.append(d["message"])
        else:
            db.session.commit()
            flash(_("Thank you, %(name)s. If this address is new, your account is ready: sign in below with the "
                    "password you just chose, and your answers so far stay yours. If you already had an account "
                    "with this address, nothing was changed: sign in with your existing password (an administrator "
                    "of this site can set a new one if you have forgotten it).", name=form.name.data.strip()))
            return redirect(url_for(".login", next=request.args.get("next")))
    return render_template("accounts/register.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Signing out ends every session of this account (this browser's and any other's, remember-me included)."""
    services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.pop(GUEST_SESSION_KEY, None)
    response = redirect(url_for("campaigns.home"))
    # A shared phone: the next person must not find this one's pages, nearby places or unsent answers (the work
    # pages' offline copies and answer queue).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _account_page(password_form=None, token_form=None, new_token=None, status=200):
    return render_template("accounts/account.html", password_form=password_form or PasswordForm(formdata=None),
                           token_form=token_form or TokenForm(formdata=None), new_token=new_token,
                           tokens=services.api_tokens(current_user), state=services.token_state), status, {
                               "Cache-Control": "no-store"}  # a new token is on this page, once


@bp.get("/")
@login_required
def account():
    return _account_page()


@bp.post("/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except InvalidInput as exc:
            for d in exc.details:
                getattr(form, d["field"]).errors.append(d["message"])
        else:
            db.session.commit()
            login_user(current_user._get_current_object(), remember=True)  # this browser goes on, with the new session token
            flash(_("Password changed. Every other place where you were signed in is signed out."))
            return redirect(url_for(".account"))
    return _account_page(password_form=form, status=422)


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token = services.create_api_token(current_user, form.label.data, form.days.data)
        except InvalidInput as exc:
            for d in exc.details:
                getattr(form, d["field"]).errors.append(d["message"])
        else:
            db.session.commit()
            return _account_page(new_token=token)
    return _account_page(token_form=form, status=422)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    services.revoke_api_token(token_id, current_user)
    db.session.commit()
    flash(_("Token revoked: scripts using it are refused from now on."))
    return redirect(url_for(".account"))
