"""/team/: an organisation's organisers and moderators, invitations, roles; /team/join: accept an invitation.
Views parse, call one service, render or redirect; every form carries the CSRF token (CSRFProtect)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen.errors import CitizenError
from citizen.extensions import db, limiter
from citizen.team import mail, services
from citizen.urls import external_url

bp = Blueprint("team", __name__, url_prefix="/team")


def _page(org, status=200, **extra):
    return render_template("team/index.html", org=org, orgs=services.organisations(current_user),
                           members=services.members(org), invitations=services.pending(org),
                           can_mail=mail.can_send(), role_label=services.role_label, **extra), status


def _org():
    return services.managed_organisation(current_user, request.values.get("org"))


def _back(org, message=None, category="message"):
    if message:
        flash(message, category)
    return redirect(url_for(".index", org=org.slug))


@bp.get("/")
@login_required
def index():
    return _page(_org())


@bp.post("/invite")
@login_required
def invite():
    org = _org()
    try:
        inv, code = services.invite(current_user, org, request.form.get("role", ""), request.form.get("email", ""))
    except CitizenError as exc:
        db.session.rollback()
        return _page(org, 422, invite_error=exc.message, invite_form=request.form)
    db.session.commit()
    link = external_url("team.join", code=code)
    sent = inv.email and mail.send_invitation(inv.email, org.name, services.role_label(inv.role), link,
                                              current_user.name)
    # The code is shown this once (only its hash is kept): the page is the answer to the POST, not a redirect.
    return _page(org, new_invitation={"link": link, "code": services.show_code(code), "sent": sent,
                                      "email": inv.email, "role": inv.role})


@bp.post("/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw(invitation_id):
    org = _org()
    services.withdraw(current_user, org, invitation_id)
    db.session.commit()
    return _back(org, _("Invitation withdrawn: its code no longer works."))


@bp.post("/members/<int:member_id>/role")
@login_required
def change_role(member_id):
    org = _org()
    try:
        user = services.change_role(current_user, org, member_id, request.form.get("role", ""))
    except CitizenError as exc:
        db.session.rollback()
        return _back(org, exc.message, "error")
    db.session.commit()
    return _back(org, _("%(name)s is now %(role)s.", name=user.name, role=services.role_label(request.form["role"])))


@bp.post("/members/<int:member_id>/remove")
@login_required
def remove(member_id):
    org = _org()
    try:
        user = services.remove(current_user, org, member_id)
    except CitizenError as exc:
        db.session.rollback()
        return _back(org, exc.message, "error")
    db.session.commit()
    if not current_user.role_in(org.id) and not current_user.is_admin:  # they removed themselves
        flash(_("You left %(org)s.", org=org.name))
        return redirect(url_for("campaigns.home"))
    return _back(org, _("%(name)s was removed from the team.", name=user.name))


@bp.get("/join")
@limiter.limit("30 per minute")
def join():
    """The invitation a link (?code=) or typed code names, with a way to sign in or register first. A GET spends
    nothing (link previews open it too)."""
    code = request.args.get("code")
    inv = services.invitation(code) if code else None
    return render_template("team/join.html", code=services.show_code(services.clean_code(code)) if inv else "",
                           invitation=inv, tried=bool(code), role_label=services.role_label), 200 if inv or not code else 404


@bp.post("/join")
@limiter.limit("10 per minute")
@login_required
def accept():
    try:
        inv = services.accept(current_user, request.form.get("code", ""))
    except CitizenError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".join"))
    db.session.commit()
    flash(_("Welcome to %(org)s: you are now %(role)s.", org=inv.organisation.name,
            role=services.role_label(inv.role)))
    return redirect(url_for("organise.index") if inv.role == "organiser" else url_for("moderation.queue"))
