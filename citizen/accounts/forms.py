from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name (shown on your profile)"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), Email()])
    password = PasswordField(_l("Password (at least 8 characters)"), validators=[DataRequired(), Length(min=8, max=1024)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password (at least 8 characters)"), validators=[DataRequired(), Length(min=8, max=1024)])


class TokenForm(FlaskForm):
    label = StringField(_l("Name (what the token is for)"), validators=[Length(max=120)])
    days = IntegerField(_l("Days until it expires (at most 365)"), default=90,
                        validators=[DataRequired(), NumberRange(min=1, max=365)])
