from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional


class CampaignForm(FlaskForm):
    """Renders the fields and checks CSRF; campaigns.services validates every field (one source of
    truth for the form and the API), and the view attaches its errors to the fields."""
    title = StringField(_l("Title"), render_kw={"maxlength": 200, "required": True})
    summary = StringField(_l("Summary (one sentence, shown on cards)"), render_kw={"maxlength": 500})
    description = TextAreaField(_l("Description (Markdown)"))
    tutorial = TextAreaField(_l("Field guide: what volunteers should look for (Markdown; example images from the "
                                "manage page)"))
    kind = SelectField(_l("Kind of task"))
    redundancy = IntegerField(_l("Answers wanted per task"), default=3, validators=[Optional()],
                              render_kw={"min": 1, "max": 50})
    licence = SelectField(_l("Data licence of the results"), default="CC-BY-4.0")


class ImportForm(FlaskForm):
    """The file is optional here because map kinds also take an area drawn on the map, and a
    confirmed preview refers to the file already sent; the view says when nothing was given."""
    file = FileField(_l("File to import"))
