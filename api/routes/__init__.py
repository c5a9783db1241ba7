"""The service's routes, one module per area; `ROUTERS` is the order the app includes them in."""
from api.routes import admin, ask, catalog, feedback, health, insights, openai_compat, pages, study

ROUTERS = [ask.router, openai_compat.router, catalog.router, study.router, feedback.router, admin.router,
           insights.router, health.router, pages.router]

__all__ = ["ROUTERS"]
