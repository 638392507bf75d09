from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = StringField(_l("Summary (one sentence, shown on cards)"), validators=[Optional(), Length(max=500)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional()])
    tutorial = TextAreaField(_l("Tutorial: what volunteers should look for (Markdown)"), validators=[Optional()])
    kind = SelectField(_l("Kind of task"))
    redundancy = IntegerField(_l("Answers wanted per task"), default=3,
                              validators=[DataRequired(), NumberRange(min=1, max=50)])
    licence = SelectField(_l("Data licence of the results"))


class ImportForm(FlaskForm):
    file = FileField(_l("Tasks file (CSV or JSON)"), validators=[FileRequired()])
