"""Unbound extension objects; create_app() binds them to an application."""

from datetime import datetime

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

from app.platform.db_routing import RoutingSession

# Stable constraint names make Alembic migrations reversible and readable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # type_annotation_map: the column type an annotation stands for when mapped_column names none.
    # Every moment is kept with its time zone: `starts_at: Mapped[datetime]` is a timestamptz
    # column. It is given to the registry, as Flask-SQLAlchemy copies Base, registry and all, and
    # SQLAlchemy refuses a base that has both a registry and its own type_annotation_map.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})  # reads on a replica
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cache = Cache()
mail = Mail()
