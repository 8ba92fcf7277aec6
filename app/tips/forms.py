"""The tip form: a preset (10, 15 or 20% of the price) or an amount in pounds. The values are
parsed by app/tips/service.py (``chosen_amount``), which refuses bad ones with a message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class TipForm(FlaskForm):
    preset = StringField(_l("Tip"), validators=[Length(max=8)])
    amount = StringField(_l("Another amount (£)"), validators=[Length(max=12)])
