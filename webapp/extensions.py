"""Flask extensions, bound to the engine's own metadata (the engine never imports Flask)."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from engine.ops.assembly import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
