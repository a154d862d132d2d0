"""The whole engine loaded as one installation: what the web app, the CLI, the scheduler, Alembic and
the tests stand on.

Every package keeps its own tables on the one shared Base (engine.core.models); loading all of them
here gives the complete metadata that Alembic compares and `create_all` builds. The same goes for the
pieces a lower layer learns of by registration: the built-in services of the shipped processes
(engine.gov.documents, mailbox, licensing register them with engine.flow.services) and the flow
layer's answer to the clocks (engine.flow.instances installs it), and the webhooks' outbox, which
listens to the events every layer emits (engine.ops.webhooks).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from engine.calendar import models as calendar_models
from engine.clocks import models as clock_models
from engine.core.models import Base
from engine.flow import instances
from engine.flow import models as flow_models
from engine.gov import documents, licensing, mailbox
from engine.gov import models as gov_models
from engine.ops import webhook_models, webhooks
from engine.org import models as org_models

TABLE_MODULES = (org_models, calendar_models, clock_models, flow_models, gov_models, webhook_models)
SERVICE_MODULES = (documents, licensing, mailbox)
__all__ = ["Base", "metadata", "TABLE_MODULES", "SERVICE_MODULES", "instances", "webhooks"]

metadata: MetaData = Base.metadata
